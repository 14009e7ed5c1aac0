/**
 * Shared by scripts/bench-table.ts and scripts/screenshot-report.ts: a scratch
 * database, a production build of the app, `next start`, and Debian Chromium
 * driven through Playwright's library API. Everything started here is stopped
 * by the returned `stop()` functions (and `cleanup()` on Ctrl-C).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { startEmbeddedPostgres } from "@/scripts/db/embedded";
import { deployMigrations } from "@/scripts/db/migrations";
import { appRoleFor } from "@/lib/db/roles";
import { redactUrl } from "@/lib/db/pg-client";
import { dropDatabase, ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";
import { freePort } from "@/scripts/testing/free-port";

export type Log = (line: string) => void;

/**
 * A database with all migrations: a scratch database on DATABASE_URL's server
 * (dropped by stop), or a throw-away embedded PostgreSQL in `.data/<name>` on a
 * free port when DATABASE_URL is unset (stopped and removed by stop).
 * `url` is the app role's (what the app connects with), `ownerUrl` the role
 * that migrated it (MIGRATION_DATABASE_URL's, or the embedded superuser).
 */
export async function scratchDatabase(name: string, log: Log): Promise<{ url: string; ownerUrl: string; stop: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (serverUrl) {
    const database = `modelpin_${name.replace(/\W/g, "_")}_${randomBytes(3).toString("hex")}`;
    const url = withDatabaseName(serverUrl, database);
    const ownerUrl = withDatabaseName(process.env.MIGRATION_DATABASE_URL?.trim() || serverUrl, database);
    log(`scratch database on DATABASE_URL's server: ${redactUrl(url)}`);
    await ensureDatabase(ownerUrl);
    await deployMigrations(ownerUrl, { appRole: appRoleFor(url, ownerUrl), log: () => undefined });
    return { url, ownerUrl, stop: () => dropDatabase(ownerUrl) };
  }
  const dir = path.resolve(".data", name);
  rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  log(`DATABASE_URL is unset: a throw-away PostgreSQL on port ${port} (${path.relative(process.cwd(), dir)})`);
  const pg = await startEmbeddedPostgres({ dir, port, database: "modelpin", ephemeral: true, log: () => undefined });
  if (pg.reused) throw new Error(`port ${port} was taken by another PostgreSQL`);
  await deployMigrations(pg.url, { appRole: appRoleFor(pg.appUrl, pg.url), log: () => undefined });
  return {
    url: pg.appUrl,
    ownerUrl: pg.url,
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment of `next build` / `next start` (as `npm test` sets it). */
export function appEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    MODELPIN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    AUTH_TRUST_HOST: "true",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    ...extra,
  };
  delete env.NYCKEL_CLIENT_ID;
  delete env.NYCKEL_CLIENT_SECRET;
  return env;
}

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const st = statSync(entry);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

const SOURCES = ["app", "components", "lib", "public", "instrumentation.ts", "next.config.js", "postcss.config.mjs", "package-lock.json"];

/** Builds into `distDir` unless a build there is newer than every source file (or SKIP_BUILD=1 and a build exists). */
export async function buildIfNeeded(distDir: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const buildId = path.join(distDir, "BUILD_ID");
  if (existsSync(buildId)) {
    if (process.env.SKIP_BUILD === "1") {
      log(`reusing the build in ${distDir} (SKIP_BUILD=1)`);
      return;
    }
    const sources = Math.max(...SOURCES.map(newestMtime));
    if (statSync(buildId).mtimeMs > sources) {
      log(`reusing the build in ${distDir} (newer than every source file)`);
      return;
    }
  }
  log(`next build into ${distDir} …`);
  const t = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(path.resolve("node_modules/.bin/next"), ["build"], { stdio: ["ignore", "inherit", "inherit"], env: { ...env, NEXT_DIST_DIR: distDir } });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    child.on("error", () => resolve(1));
  });
  if (code !== 0) throw new Error(`next build failed (exit ${code})`);
  log(`next build took ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

/** `next start` on a free port (its own process group, so stop() ends it and its children). */
export async function startNext(distDir: string, env: NodeJS.ProcessEnv, log: Log): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const child: ChildProcess = spawn(path.resolve("node_modules/.bin/next"), ["start", "-p", String(port), "-H", "127.0.0.1"], {
    env: { ...env, NEXT_DIST_DIR: distDir, PORT: String(port), AUTH_URL: baseUrl },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}): ${stderr}`);
    const ok = await fetch(`${baseUrl}/signin`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`next start did not answer within 90 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  log(`next start on ${baseUrl} (pid ${child.pid})`);
  return { baseUrl, stop };
}

/** Debian's Chromium (CHROMIUM_PATH overrides), with the flags the browser tests use. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`Chromium was not found at ${executablePath}. Install it with: apt-get install -y chromium`);
  return chromium.launch({
    executablePath,
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("current-user").waitFor({ timeout: 30_000 });
}

/** Runs `fn` with a cleanup stack that also runs on SIGINT/SIGTERM; returns fn's exit code. */
export async function withCleanup(fn: (defer: (f: () => Promise<void> | void) => void) => Promise<number>): Promise<number> {
  const stack: Array<() => Promise<void> | void> = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const f of stack.reverse()) await Promise.resolve(f()).catch((e: unknown) => console.error(e));
    })());
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await fn((f) => stack.push(f));
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
