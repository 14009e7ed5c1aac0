/**
 * Vitest globalSetup for the `integration` project.
 *
 * - DATABASE_URL set: use that database, with migrations run as
 *   MIGRATION_DATABASE_URL (the owner role) when set, else as DATABASE_URL.
 * - Otherwise: a throw-away embedded PostgreSQL in `<repo>/.data/test-postgres`
 *   on port 54330 or EMBEDDED_PG_TEST_PORT (wiped at every run, never the development data), database
 *   `modelpin_test`; migrations run as its superuser (the owner), the tests
 *   connect as `modelpin_app`, which owns nothing (lib/db/roles.ts).
 *
 * Test files get the app's URL as `process.env.DATABASE_URL` (set here, before
 * the workers start, so modules reading the environment at import see it) and
 * as `inject("databaseUrl")`; the owner's URL, for the few tests that need
 * owner powers (tampering with the audit log, creating databases or job
 * queues), as `process.env.MIGRATION_DATABASE_URL` and `inject("ownerDatabaseUrl")`
 * (scripts/testing/owner.ts).
 */
import fs from "node:fs";
import path from "node:path";

import type { TestProject } from "vitest/node";

import { repoRoot } from "@/scripts/db/database";
import { startEmbeddedPostgres, stopServerInDir } from "@/scripts/db/embedded";
import { deployMigrations } from "@/scripts/db/migrations";
import { redactUrl } from "@/lib/db/pg-client";
import { dropDatabase, ensureDatabase } from "@/scripts/db/pg-admin";
import { appRoleFor } from "@/lib/db/roles";

export const TEST_PG_PORT = Number(process.env.EMBEDDED_PG_TEST_PORT || 54330);
export const TEST_PG_DATABASE = "modelpin_test";

declare module "vitest" {
  export interface ProvidedContext {
    /** The app role's URL (what the app connects with). */
    databaseUrl: string;
    /** The owner role's URL (migrations; tests that need owner powers). */
    ownerDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const root = repoRoot();
  const log = (line: string) => process.stderr.write(`[integration-db] ${line}\n`);
  let stop: () => Promise<void> = async () => undefined;
  let url = process.env.DATABASE_URL?.trim() || undefined;
  let ownerUrl = process.env.MIGRATION_DATABASE_URL?.trim() || url;

  if (url) {
    log(`using DATABASE_URL (${redactUrl(url)})${ownerUrl !== url ? " and MIGRATION_DATABASE_URL" : ""}`);
  } else {
    // A separate folder per port, so parallel runs (EMBEDDED_PG_TEST_PORT) never share one.
    const dir = path.join(root, ".data", TEST_PG_PORT === 54330 ? "test-postgres" : `test-postgres-${TEST_PG_PORT}`);
    // A server left running on the test folder by an interrupted run: stop it, then start clean.
    if (await stopServerInDir(dir)) log(`stopped a leftover test server in ${dir}`);
    fs.rmSync(dir, { recursive: true, force: true });
    const handle = await startEmbeddedPostgres({ dir, port: TEST_PG_PORT, database: TEST_PG_DATABASE, ephemeral: true, log });
    url = handle.appUrl;
    ownerUrl = handle.url;
    stop = handle.stop;
    if (handle.reused) {
      // Some other server answers on the test port: at least give the tests a fresh database.
      log(`a PostgreSQL server was already running on port ${TEST_PG_PORT}; recreating ${TEST_PG_DATABASE} on it`);
      await dropDatabase(ownerUrl);
      await ensureDatabase(ownerUrl);
    }
  }
  const owner = ownerUrl ?? url;

  try {
    const migrationsDir = path.join(root, "prisma", "migrations");
    const { applied } = await deployMigrations(owner, { migrationsDir, appRole: appRoleFor(url, owner), log: (line) => line.startsWith("Warning") && log(line) });
    log(`database ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${applied.length} migration(s) applied)`);
  } catch (error) {
    await stop();
    throw error;
  }

  process.env.DATABASE_URL = url;
  process.env.MIGRATION_DATABASE_URL = owner;
  // As `npm test` does: the emulator and local receivers listen on loopback, which outbound checks refuse otherwise.
  process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS ??= "true";
  project.provide("databaseUrl", url);
  project.provide("ownerDatabaseUrl", owner);

  return async () => {
    await stop();
  };
}
