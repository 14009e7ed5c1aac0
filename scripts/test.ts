/**
 * `npm test`: unit tests, integration tests against a real PostgreSQL, and the
 * Playwright browser tests in Debian's Chromium against a production build.
 *
 * It starts (and stops) everything it needs: an embedded PostgreSQL in its own
 * data folder and port (never the development data), a Nyckel emulator on a
 * free port, and — through Playwright — one `next start` server.
 *
 *   --skip-e2e   unit + integration only
 *   --e2e-only   browser tests only
 *   anything else is passed to Playwright (e.g. `npm test -- --e2e-only e2e/sso.spec.ts`)
 * Env: SKIP_BUILD=1 reuses an existing .next build; CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@/scripts/db/database";
import { startEmbeddedPostgres } from "@/scripts/db/embedded";
import { deployMigrations, runSeed } from "@/scripts/db/migrations";
import { ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";
import { appRoleFor } from "@/lib/db/roles";
import { freePort } from "@/scripts/testing/free-port";

const args = new Set(process.argv.slice(2));
// Anything else (a spec file, --grep …) is passed to Playwright.
const playwrightArgs = process.argv.slice(2).filter((a) => a !== "--skip-e2e" && a !== "--e2e-only");
const log = (line: string) => console.log(`\n[test] ${line}`);

function run(cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(path.resolve("node_modules/.bin", cmd), cmdArgs, { stdio: "inherit", env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", () => resolve(1));
  });
}


async function main(): Promise<number> {
  process.chdir(repoRoot());
  const started = Date.now();
  const results: Array<[string, number]> = [];
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    MODELPIN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    AUTH_TRUST_HOST: "true",
    MODELPIN_ALLOW_INSECURE_WEBHOOKS: "true",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  };
  delete baseEnv.NYCKEL_CLIENT_ID;
  delete baseEnv.NYCKEL_CLIENT_SECRET;

  const pgPort = Number(process.env.EMBEDDED_PG_TEST_PORT || 54330);
  // A separate data folder per port, so two runs (e.g. two worktrees of one machine) never share one.
  const dir = path.resolve(pgPort === 54330 ? ".data/test-postgres" : `.data/test-postgres-${pgPort}`);
  rmSync(dir, { recursive: true, force: true });
  log(`starting a throw-away PostgreSQL on port ${pgPort} (${path.relative(process.cwd(), dir)})`);
  const pg = await startEmbeddedPostgres({ dir, port: pgPort, database: "modelpin_test", ephemeral: true, log: () => undefined });
  if (pg.reused) {
    await pg.stop();
    throw new Error(`Port ${pgPort} is already taken by another PostgreSQL; set EMBEDDED_PG_TEST_PORT to a free port.`);
  }
  const cleanups: Array<() => Promise<void>> = [() => pg.stop()];
  try {
    // Migrations as the owner (the superuser); the app and the tests as `modelpin_app`, which owns nothing.
    const appRole = appRoleFor(pg.appUrl, pg.url);
    const [integrationOwnerUrl, integrationUrl] = [pg.url, pg.appUrl];
    const [e2eOwnerUrl, e2eUrl] = [withDatabaseName(pg.url, "modelpin_e2e"), withDatabaseName(pg.appUrl, "modelpin_e2e")];
    await ensureDatabase(e2eOwnerUrl);
    await deployMigrations(integrationOwnerUrl, { appRole, log: () => undefined });
    await deployMigrations(e2eOwnerUrl, { appRole, log: () => undefined });

    if (!args.has("--e2e-only")) {
      log("unit and integration tests (Vitest)");
      const code = await run("vitest", ["run"], { ...baseEnv, NODE_ENV: "test", DATABASE_URL: integrationUrl, MIGRATION_DATABASE_URL: integrationOwnerUrl });
      results.push(["unit + integration", code]);
    }

    if (!args.has("--skip-e2e")) {
      const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
      if (!existsSync(chromium)) {
        console.error(`\n[test] Chromium was not found at ${chromium}. Install it once with:\n\n    apt-get install -y chromium\n`);
        results.push(["browser", 1]);
      } else {
        // The seed signs the audit chain's head (docs/audit.md): with the key the server will verify it with.
        await runSeed(e2eUrl, { log: () => undefined, env: { ...process.env, MODELPIN_ENCRYPTION_KEY: baseEnv.MODELPIN_ENCRYPTION_KEY } });
        const { startEmulator } = await import("@/scripts/emulator/server");
        const emulator = await startEmulator({ port: 0, quiet: true });
        cleanups.push(() => emulator.close());
        const [appPort, oidcPort] = [await freePort(), await freePort()];
        const e2eEnv: NodeJS.ProcessEnv = {
          ...baseEnv,
          NODE_ENV: "production",
          DATABASE_URL: e2eUrl,
          MIGRATION_DATABASE_URL: e2eOwnerUrl,
          NYCKEL_EMULATOR_URL: emulator.url,
          E2E_PORT: String(appPort),
          // The public URL, as a production deployment sets it: Auth.js then builds
          // the same OIDC redirect_uri in the server action and in the callback.
          AUTH_URL: `http://localhost:${appPort}`,
          OIDC_ISSUER: `http://127.0.0.1:${oidcPort}`,
          OIDC_CLIENT_ID: "modelpin-e2e",
          OIDC_CLIENT_SECRET: randomBytes(16).toString("hex"),
          // Group → role mapping from the ID token's `groups` claim (e2e/sso.spec.ts).
          OIDC_ROLES_CLAIM: "groups",
          OIDC_ROLE_MAP: "ml-admins=admin,ml-approvers=approver,ml-editors=editor",
          // GET /metrics is on in the browser tests (e2e/metrics.spec.ts scrapes it with this token).
          MODELPIN_METRICS_TOKEN: randomBytes(24).toString("hex"),
          // The scheduled sync (drift watch): every few seconds, so a model added in the emulator shows up during a spec.
          MODELPIN_SYNC_INTERVAL_SECONDS: process.env.MODELPIN_SYNC_INTERVAL_SECONDS ?? "5",
        };
        // Every spec starts with the emulator's functions: one sync now, before the server and its scheduled sync start.
        const syncCode = await run("tsx", ["--conditions=react-server", "scripts/sync-functions.ts"], e2eEnv);
        if (syncCode !== 0) results.push(["sync before the browser tests", syncCode]);
        let buildCode = 0;
        if (process.env.SKIP_BUILD === "1" && existsSync(path.join(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
          log("reusing the existing production build (SKIP_BUILD=1)");
        } else {
          log("production build (next build)");
          const t = Date.now();
          buildCode = await run("next", ["build"], e2eEnv);
          log(`next build took ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
        if (buildCode !== 0) results.push(["next build", buildCode]);
        else {
          log("browser tests (Playwright, Debian Chromium)");
          results.push(["browser", await run("playwright", ["test", ...playwrightArgs], e2eEnv)]);
        }
      }
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(e));
  }
  const failed = results.filter(([, code]) => code !== 0);
  log(
    `${results.map(([name, code]) => `${name}: ${code === 0 ? "passed" : "FAILED"}`).join(", ")} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  return failed.length ? 1 : 0;
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
