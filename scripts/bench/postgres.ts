/**
 * Databases for the benches and measurements: a scratch database with every
 * migration on DATABASE_URL's server, or on a throw-away embedded PostgreSQL
 * when DATABASE_URL is unset. Whatever is created here, `stop()` removes.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { appRoleFor } from "@/lib/db/roles";
import { redactUrl } from "@/lib/db/pg-client";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "@/scripts/db/embedded";
import { deployMigrations } from "@/scripts/db/migrations";
import { dropDatabase, ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";
import { freePort } from "@/scripts/testing/free-port";
import type { Log } from "./build";

/** A throw-away embedded PostgreSQL in `.data/<name>` on a free port (fsync off); stop() ends it and removes the folder. */
export async function throwAwayPostgres(name: string, database: string, log: Log): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(".data", name);
  rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  log(`DATABASE_URL is unset: a throw-away PostgreSQL on port ${port} (${path.relative(process.cwd(), dir)})`);
  const pg = await startEmbeddedPostgres({ dir, port, database, ephemeral: true, log: () => undefined });
  if (pg.reused) throw new Error(`port ${port} was taken by another PostgreSQL`);
  return {
    ...pg,
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new database's name on a shared server: `modelpin_<name>_<random>`. */
export function scratchName(name: string): string {
  return `modelpin_${name.replace(/\W/g, "_")}_${randomBytes(3).toString("hex")}`;
}

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
    const database = scratchName(name);
    const url = withDatabaseName(serverUrl, database);
    const ownerUrl = withDatabaseName(process.env.MIGRATION_DATABASE_URL?.trim() || serverUrl, database);
    log(`scratch database on DATABASE_URL's server: ${redactUrl(url)}`);
    await ensureDatabase(ownerUrl);
    await deployMigrations(ownerUrl, { appRole: appRoleFor(url, ownerUrl), log: () => undefined });
    return { url, ownerUrl, stop: () => dropDatabase(ownerUrl) };
  }
  const pg = await throwAwayPostgres(name, "modelpin", log);
  await deployMigrations(pg.url, { appRole: appRoleFor(pg.appUrl, pg.url), log: () => undefined });
  return { url: pg.appUrl, ownerUrl: pg.url, stop: pg.stop };
}
