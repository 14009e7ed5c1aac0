/**
 * `npm run dev`: everything a new user needs, started by one command.
 *
 * 1. PostgreSQL: DATABASE_URL if set, else the embedded server in
 *    EMBEDDED_PG_DIR on EMBEDDED_PG_PORT (reused if one already answers).
 * 2. Migrations (offline engine) as the owner role, which then grants the app
 *    role its privileges (lib/db/roles.ts), then the idempotent seed as the app.
 * 3. The Nyckel emulator on NYCKEL_EMULATOR_PORT unless Nyckel credentials
 *    are set in the environment. The job workers sync functions when the server
 *    starts. With the emulator, the first start syncs at once and builds the living demo
 *    (scripts/demo/build.ts; MODELPIN_DEMO=false turns it off).
 * 4. `next dev` on PORT. Prints the URL and the seeded sign-ins.
 * Ctrl-C stops everything this command started, in order — the web server
 * (and the job workers in it) first, waiting until it has exited, then the
 * emulator, then PostgreSQL — with one line per stopped service.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { resolveDatabase, repoRoot } from "@/scripts/db/database";
import { deployMigrations } from "@/scripts/db/migrations";

const started = Date.now();
const log = (line: string) => console.log(`[dev] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM the process group of `child` (next dev and its server process), wait up to
 * `timeoutMs` for next dev to exit (it waits for its server process first), then SIGKILL
 * whatever is left of the group.
 */
async function stopGroup(child: ChildProcess, timeoutMs: number): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  await Promise.race([exited, sleep(timeoutMs)]);
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // the whole group is gone
  }
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(60_000) });
      if (res.status < 500) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main() {
  process.chdir(repoRoot());
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const { parseConfig } = await import("@/lib/env");
  const initial = parseConfig(process.env); // generates local secrets on a new clone
  // Stopped in reverse order of start, each with its one line.
  const cleanups: Array<{ stopped: string; stop: () => Promise<void> }> = [];
  const proc: { next?: ChildProcess } = {};
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("\n");
    const next = proc.next;
    if (next && next.exitCode === null && next.signalCode === null) {
      // The job workers run inside it: it must be gone before the database goes.
      await stopGroup(next, 10_000);
      log("stopped the web server and its job workers");
    }
    for (const c of cleanups.reverse()) {
      try {
        await c.stop();
        log(c.stopped);
      } catch (e) {
        log(`${c.stopped.replace(/^stopped/, "could not stop")}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  // Its own process group: Ctrl-C reaches only this process, which stops the web server before the database.
  const db = await resolveDatabase({ log, ownProcessGroup: true });
  cleanups.push({
    stopped: db.source === "embedded" ? "stopped PostgreSQL" : `left PostgreSQL running (${db.source === "env" ? "DATABASE_URL" : "it was already running"})`,
    stop: () => db.stop(),
  });
  process.env.DATABASE_URL = db.url;
  log(`database: ${db.source === "env" ? "DATABASE_URL" : `embedded PostgreSQL (${db.source === "embedded" ? "started" : "already running"})`}`);

  // Warnings (an app role that owns objects, …) are shown; progress lines are not.
  const { applied } = await deployMigrations(db.ownerUrl, { appRole: db.appRole, log: (line) => line.startsWith("Warning") && log(line) });
  log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "migrations: up to date");

  const { seed } = await import("../prisma/seed");
  const { created } = await seed();
  log(created.length ? `seeded: ${created.join(", ")}` : "seed: already done");

  if (!initial.nyckelFromEnv) {
    const port = initial.NYCKEL_EMULATOR_PORT;
    const url = `http://127.0.0.1:${port}`;
    const answering = await fetch(`${url}/_emulator/functions`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok).catch(() => false);
    if (answering) {
      log(`Nyckel emulator already running at ${url}: using it`);
    } else {
      const { startEmulator } = await import("@/scripts/emulator/server");
      const emulator = await startEmulator({ port, quiet: true });
      cleanups.push({ stopped: "stopped the Nyckel emulator", stop: () => emulator.close() });
      log(`Nyckel emulator: ${emulator.url} (no Nyckel credentials in the environment)`);
    }
    process.env.NYCKEL_EMULATOR_URL = url;
  } else {
    log(`Nyckel: ${initial.NYCKEL_BASE_URL} with NYCKEL_CLIENT_ID from the environment`);
  }

  // Functions arrive with the job workers' first sync when the server starts (then every
  // MODELPIN_SYNC_INTERVAL_SECONDS); the demo needs them now, so it syncs first when none are stored.
  const { demoEnabled, buildDemo } = await import("@/scripts/demo/build");
  if (demoEnabled(process.env, !initial.nyckelFromEnv)) {
    (await import("@/lib/env")).resetConfigForTests(); // the emulator's URL
    try {
      const { countFunctions } = await import("@/lib/functions/queries");
      if ((await countFunctions()) === 0) {
        const { syncFunctions, describeSync } = await import("@/lib/functions/service");
        const { systemContext } = await import("@/lib/context");
        log(describeSync(await syncFunctions(systemContext("system (start-up sync)"))));
      }
      if (await buildDemo(log)) log(`demo ready ${((Date.now() - started) / 1000).toFixed(1)} s after start (MODELPIN_DEMO=false turns it off)`);
    } catch (e) {
      log(`demo not built: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      const { stopBoss } = await import("@/lib/jobs/boss");
      await stopBoss();
    }
  }
  const { disconnectPrisma } = await import("@/lib/db/client");
  await disconnectPrisma();

  const port = initial.PORT;
  const next = spawn(path.resolve("node_modules/.bin/next"), ["dev", "-p", String(port)], {
    stdio: "inherit",
    detached: true, // own process group, so Ctrl-C handling stops next and its workers
    env: { ...process.env, MODELPIN_ALLOW_INSECURE_WEBHOOKS: process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS ?? "true" },
  });
  proc.next = next;
  next.on("exit", (code) => {
    if (!stopping) {
      log(`next dev exited (${code ?? "signal"})`);
      void stop(code ?? 1);
    }
  });

  const appUrl = `http://localhost:${port}`;
  if (await waitForHttp(`${appUrl}/signin`, 180_000)) {
    const { DEV_USERS } = await import("@/lib/seed/dev-users");
    const width = Math.max(...DEV_USERS.map((u) => u.email.length));
    console.log(
      [
        "",
        `  Modelpin is running at ${appUrl}  (first page served ${((Date.now() - started) / 1000).toFixed(1)} s after start)`,
        "",
        "  Seeded sign-ins (development only):",
        ...DEV_USERS.map((u) => `    ${u.role.padEnd(9)} ${u.email.padEnd(width)}  ${u.password}`),
        "",
        "  Press Ctrl-C to stop the app, the emulator and the database.",
        "",
      ].join("\n"),
    );
  } else {
    log(`the app did not answer at ${appUrl} within 3 minutes`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
