/**
 * A production build for the benches: the environment `next build` and `next start`
 * run with (as `npm test` sets it), and one "build if stale" for every bench.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

export type Log = (line: string) => void;

/** The environment of `next build` / `next start` (as `npm test` sets it), without real Nyckel credentials. */
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

/** Runs a binary of node_modules/.bin; `capture` collects its output instead of showing it. */
export function runBin(cmd: string, args: string[], env: NodeJS.ProcessEnv, capture = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.resolve("node_modules/.bin", cmd), args, { env, stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit" });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

const SOURCES = ["app", "components", "lib", "public", "instrumentation.ts", "proxy.ts", "next.config.js", "postcss.config.mjs", "package-lock.json"];

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

export type BuildOptions = {
  distDir: string;
  log: Log;
  /** Build even when up to date (`--rebuild`). */
  rebuild?: boolean;
  /** Never build: fail without a build (`--no-build`). */
  noBuild?: boolean;
  /** Reuse any build there, stale or not (SKIP_BUILD=1); build only when there is none. */
  reuseAny?: boolean;
};

/** A production build in `distDir`: reused when up to date (or as told), else built. */
export async function ensureBuild(env: NodeJS.ProcessEnv, options: BuildOptions): Promise<void> {
  const { distDir, log } = options;
  const buildId = path.join(distDir, "BUILD_ID");
  const built = existsSync(buildId);
  if (options.noBuild) {
    if (!built) throw new Error(`told not to build, but there is no build in ${distDir}`);
    log(`using the build in ${distDir} (no build)`);
    return;
  }
  const reason = options.rebuild
    ? "--rebuild"
    : !built
      ? `no build in ${distDir}`
      : options.reuseAny
        ? null
        : Math.max(...SOURCES.map(newestMtime)) > statSync(buildId).mtimeMs
          ? `sources changed since the build in ${distDir}`
          : null;
  if (!reason) {
    log(`reusing the production build in ${distDir} (${options.reuseAny ? "SKIP_BUILD=1" : "up to date"})`);
    return;
  }
  log(`production build into ${distDir} (${reason}) …`);
  const t = performance.now();
  const { code } = await runBin("next", ["build"], { ...env, NEXT_DIST_DIR: distDir });
  if (code !== 0) throw new Error(`next build failed (exit code ${code})`);
  log(`next build took ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
