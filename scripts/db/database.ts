/**
 * Which database do scripts use, and as which roles?
 *
 * - DATABASE_URL set: that database; nothing is started. Migrations run as
 *   MIGRATION_DATABASE_URL (the owner role), defaulting to DATABASE_URL.
 * - Otherwise: the embedded PostgreSQL in EMBEDDED_PG_DIR (default
 *   `<repo>/.data/postgres`) on EMBEDDED_PG_PORT (default 54329), started for the
 *   duration of the work and stopped afterwards — unless it was already running
 *   (e.g. under `npm run dev`), in which case it is left running. Migrations
 *   run as its superuser, the app as `modelpin_app` (lib/db/roles.ts).
 *
 * Not "server-only": scripts and tests import this.
 */
import fs from "node:fs";
import path from "node:path";

import { startEmbeddedPostgres } from "./embedded";
import { appRoleFor, sameRoleWarning } from "@/lib/db/roles";
import { databaseSettings } from "@/lib/env";

export const DEFAULT_EMBEDDED_PG_DATABASE = "modelpin";

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

/** EMBEDDED_PG_DIR (resolved against the repository root) and EMBEDDED_PG_PORT, as lib/env.ts validates them. */
export function embeddedSettings(): EmbeddedSettings {
  const settings = databaseSettings();
  return { dir: path.resolve(repoRoot(), settings.EMBEDDED_PG_DIR), port: settings.EMBEDDED_PG_PORT };
}

export type ResolvedDatabase = {
  /** What the app connects with (DATABASE_URL, or the embedded server's `modelpin_app`). */
  url: string;
  /** What migrations run as: MIGRATION_DATABASE_URL (default: DATABASE_URL), or the embedded server's superuser. */
  ownerUrl: string;
  /** The role the migrate step grants to, or undefined when both URLs are one role. */
  appRole: string | undefined;
  /** Stops the embedded server if this call started it; otherwise a no-op. */
  stop(): Promise<void>;
  /** "env": DATABASE_URL; "embedded": started here; "embedded-reused": was already running. */
  source: "env" | "embedded" | "embedded-reused";
};

export async function resolveDatabase(options: { log?: (line: string) => void; ownProcessGroup?: boolean } = {}): Promise<ResolvedDatabase> {
  const settings = databaseSettings();
  const fromEnv = settings.DATABASE_URL;
  if (fromEnv) {
    const ownerUrl = settings.MIGRATION_DATABASE_URL ?? fromEnv;
    return { url: fromEnv, ownerUrl, appRole: appRoleFor(fromEnv, ownerUrl), stop: async () => undefined, source: "env" };
  }
  const { dir, port } = embeddedSettings();
  const handle = await startEmbeddedPostgres({ dir, port, database: DEFAULT_EMBEDDED_PG_DATABASE, log: options.log, ownProcessGroup: options.ownProcessGroup });
  return {
    url: handle.appUrl,
    ownerUrl: handle.url,
    appRole: appRoleFor(handle.appUrl, handle.url),
    stop: handle.stop,
    source: handle.reused ? "embedded-reused" : "embedded",
  };
}

/** The migrate step's one-line warning in production when it runs as the app's own role (else undefined). */
export function migrationRoleWarning(database: Pick<ResolvedDatabase, "url" | "source">): string | undefined {
  if (process.env.NODE_ENV !== "production" || database.source !== "env") return undefined;
  return sameRoleWarning(database.url, databaseSettings().MIGRATION_DATABASE_URL);
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
