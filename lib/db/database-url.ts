/**
 * Which database do scripts use?
 *
 * - DATABASE_URL set: that database; nothing is started.
 * - Otherwise: the embedded PostgreSQL in EMBEDDED_PG_DIR (default
 *   `<repo>/.data/postgres`) on EMBEDDED_PG_PORT (default 54329), started for the
 *   duration of the work and stopped afterwards — unless it was already running
 *   (e.g. under `npm run dev`), in which case it is left running.
 *
 * Not "server-only": scripts and tests import this.
 */
import fs from "node:fs";
import path from "node:path";

import { startEmbeddedPostgres } from "./embedded";

export const DEFAULT_EMBEDDED_PG_PORT = 54329;
export const DEFAULT_EMBEDDED_PG_DATABASE = "modelpin";

/** The one place this module reads the environment (to be routed through the config module later). */
function readEnv(name: "DATABASE_URL" | "EMBEDDED_PG_DIR" | "EMBEDDED_PG_PORT"): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** The repository root: the nearest folder above the working directory whose package.json is "modelpin". */
export function repoRoot(): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "modelpin") return dir;
    } catch {
      // keep looking
    }
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

export type EmbeddedSettings = { dir: string; port: number };

export function embeddedSettings(): EmbeddedSettings {
  const dir = path.resolve(repoRoot(), readEnv("EMBEDDED_PG_DIR") ?? ".data/postgres");
  const rawPort = readEnv("EMBEDDED_PG_PORT");
  const port = rawPort === undefined ? DEFAULT_EMBEDDED_PG_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`EMBEDDED_PG_PORT must be a port number (1-65535), got "${rawPort}".`);
  }
  return { dir, port };
}

export type ResolvedDatabase = {
  url: string;
  /** Stops the embedded server if this call started it; otherwise a no-op. */
  stop(): Promise<void>;
  /** "env": DATABASE_URL; "embedded": started here; "embedded-reused": was already running. */
  source: "env" | "embedded" | "embedded-reused";
};

export async function resolveDatabase(options: { log?: (line: string) => void; ownProcessGroup?: boolean } = {}): Promise<ResolvedDatabase> {
  const fromEnv = readEnv("DATABASE_URL");
  if (fromEnv) {
    validateUrl(fromEnv);
    return { url: fromEnv, stop: async () => undefined, source: "env" };
  }
  const { dir, port } = embeddedSettings();
  const handle = await startEmbeddedPostgres({ dir, port, database: DEFAULT_EMBEDDED_PG_DATABASE, log: options.log, ownProcessGroup: options.ownProcessGroup });
  return { url: handle.url, stop: handle.stop, source: handle.reused ? "embedded-reused" : "embedded" };
}

/** Run `fn` against the resolved database, stopping an embedded server started for it afterwards. */
export async function withDatabase<T>(fn: (url: string) => Promise<T>, options: { log?: (line: string) => void } = {}): Promise<T> {
  const database = await resolveDatabase(options);
  try {
    return await fn(database.url);
  } finally {
    await database.stop();
  }
}

function validateUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL (expected postgresql://user:password@host:port/database).");
  }
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new Error(`DATABASE_URL must start with postgresql:// (got ${parsed.protocol}//).`);
  }
}
