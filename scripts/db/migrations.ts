/**
 * Offline Prisma migrations: the Prisma CLI's `migrate` needs a native schema
 * engine that cannot be downloaded here, so we drive Prisma's own schema engine
 * compiled to WebAssembly (`@prisma/schema-engine-wasm`, the version matching
 * prisma 7.10) through the `@prisma/adapter-pg` driver adapter.
 *
 * Compatible with the Prisma CLI: same `prisma/migrations/<timestamp>_<name>/migration.sql`
 * layout, same `migration_lock.toml`, same `_prisma_migrations` table and
 * checksums (the engine writes them), so `prisma migrate deploy|dev|status`
 * work on the same folder and database on a machine with internet access.
 *
 * The engine's plumbing is in migration-engine.ts. Not "server-only": scripts and tests import this.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import type { MigrationList, SchemaFilter } from "@prisma/schema-engine-wasm";

import { redactUrl, withClient } from "@/lib/db/pg-client";
import { prepareForApp } from "@/lib/db/roles";
import { MigrationError, withEngine } from "./migration-engine";
import { databaseNameOf, ensureDatabase } from "./pg-admin";

export type MigrationsOptions = {
  /** Absolute or cwd-relative path of the migrations folder. Default `prisma/migrations`. */
  migrationsDir?: string;
  /** Receives progress lines. Default: stdout. */
  log?: (line: string) => void;
  /**
   * The app role (DATABASE_URL's user) when it differs from the role of the URL
   * migrating (the owner): after the migrations it gets its grants
   * (lib/db/roles.ts). pg-boss's schema and queues are prepared either way.
   */
  appRole?: string;
};

export type CreateMigrationOptions = MigrationsOptions & {
  /** Migration name, e.g. "add_members"; sanitised to [a-z0-9_]. */
  name: string;
  /** Path of the Prisma schema. Default `prisma/schema.prisma`. */
  schemaPath?: string;
  /** Write the migration without applying it (to edit the SQL first). */
  createOnly?: boolean;
};

export type CreateMigrationResult = {
  /** Folder name of the new migration, or null when the schema matches the migrations. */
  created: string | null;
  /** Path of the written migration.sql, or null. */
  file: string | null;
  /** Migrations applied to the database by this call (pending ones first, then the new one). */
  applied: string[];
  /** Data-loss warnings the engine reported for the new migration. */
  warnings: string[];
};

export type MigrationStatus = {
  migrations: string[];
  pending: string[];
  failed: string[];
  edited: string[];
  /** Migrations recorded in the database but missing from the folder. */
  unknown: string[];
  hasMigrationsTable: boolean;
};

export const DEFAULT_SCHEMA_PATH = "prisma/schema.prisma";
export const DEFAULT_MIGRATIONS_DIR = "prisma/migrations";
const LOCKFILE_NAME = "migration_lock.toml";
const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

const stdoutLog = (line: string) => {
  process.stdout.write(`${line}\n`);
};

// ---------------------------------------------------------------------------
// Commands

/** Apply all pending migrations (`prisma migrate deploy`). Idempotent. */
export async function deployMigrations(databaseUrl: string, options: MigrationsOptions = {}): Promise<{ applied: string[] }> {
  const log = options.log ?? stdoutLog;
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const migrationsList = await listMigrations(migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    log(`No migrations in ${migrationsDir}.`);
  }
  await createDatabaseIfMissing(databaseUrl, log);
  const { appliedMigrationNames } = await withEngine(databaseUrl, undefined, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
  );
  logApplied(log, appliedMigrationNames, migrationsList.migrationDirectories.length);
  await prepareForApp(databaseUrl, options.appRole, log);
  return { applied: appliedMigrationNames };
}

/**
 * `prisma migrate dev --name <name>` without prompts: apply pending migrations,
 * then generate the SQL that brings (all migrations applied to a temporary
 * shadow database) to the Prisma schema, write it as a new migration folder and
 * apply it. Refuses (with the reason) when the database drifted from the
 * migrations; `db:reset` fixes that in development.
 */
export async function createMigration(databaseUrl: string, options: CreateMigrationOptions): Promise<CreateMigrationResult> {
  const log = options.log ?? stdoutLog;
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const schemaPath = path.resolve(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  const name = sanitizeMigrationName(options.name);
  const schemaContent = readSchema(schemaPath);
  const schema = { files: [{ path: schemaPath, content: schemaContent }] };
  await createDatabaseIfMissing(databaseUrl, log);

  const result = await withEngine(databaseUrl, schema.files, async (engine): Promise<CreateMigrationResult> => {
    let migrationsList = await listMigrations(migrationsDir);

    const diagnostic = await engine.devDiagnostic({ migrationsList, filters: NO_FILTER });
    if (diagnostic.action.tag === "reset") {
      throw new MigrationError(
        `The database ${redactUrl(databaseUrl)} does not match the migrations in ${migrationsDir}:\n` +
          `${diagnostic.action.reason}\n` +
          `In development, run the reset command (npm run db:reset: drops all data, re-applies the migrations, seeds).`,
      );
    }

    const pending = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    const applied = [...pending.appliedMigrationNames];
    for (const migration of applied) log(`Applied pending migration ${migration}`);

    const loss = await engine.evaluateDataLoss({ migrationsList, schema, filters: NO_FILTER });
    const warnings = loss.warnings.map((warning) => warning.message);
    if (loss.migrationSteps === 0) {
      log("No changes: the schema matches the migrations.");
      return { created: null, file: null, applied, warnings };
    }
    if (loss.unexecutableSteps.length > 0 && !options.createOnly) {
      throw new MigrationError(
        `The new migration cannot be applied to the current database:\n` +
          loss.unexecutableSteps.map((step) => `  • ${step.message}`).join("\n") +
          `\nUse --create-only to write it and edit the SQL, or reset the development database (npm run db:reset).`,
      );
    }

    const output = await engine.createMigration({ draft: false, migrationName: name, migrationsList, schema, filters: NO_FILTER });
    if (output.migrationScript === null) {
      log("No changes: the schema matches the migrations.");
      return { created: null, file: null, applied, warnings };
    }
    const generatedName = orderedMigrationName(output.generatedMigrationName, fs.existsSync(migrationsDir) ? fs.readdirSync(migrationsDir) : []);
    const folder = path.join(migrationsDir, generatedName);
    if (fs.existsSync(folder)) throw new MigrationError(`The migration folder already exists: ${folder}`);
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `migration.${output.extension}`);
    fs.writeFileSync(file, output.migrationScript, "utf8");
    writeLockfileIfMissing(migrationsDir, output.connectorType);
    log(`Created ${displayPath(file)}`);
    for (const warning of warnings) log(`  ⚠ ${warning}`);
    for (const step of loss.unexecutableSteps) log(`  ✗ ${step.message} (edit the SQL before applying it)`);

    if (!options.createOnly) {
      migrationsList = await listMigrations(migrationsDir);
      const result = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
      for (const migration of result.appliedMigrationNames) log(`Applied ${migration}`);
      applied.push(...result.appliedMigrationNames);
    }
    return { created: generatedName, file, applied, warnings };
  });
  // New tables need the app role's grants (a migration only written, not applied, changes nothing yet).
  if (result.applied.length > 0) await prepareForApp(databaseUrl, options.appRole, log);
  return result;
}

/**
 * Drop everything in the database's public schema (tables, types, the
 * `_prisma_migrations` history) and re-apply all migrations.
 * The seed is run separately (see `runSeed`).
 */
export async function resetDatabase(databaseUrl: string, options: MigrationsOptions = {}): Promise<{ applied: string[] }> {
  const log = options.log ?? stdoutLog;
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const migrationsList = await listMigrations(migrationsDir);
  await createDatabaseIfMissing(databaseUrl, log);
  await withClient(databaseUrl, async (client) => {
    // Keep the schema's owner and grants as PostgreSQL creates them (pg_database_owner on 15+).
    await client.query("DROP SCHEMA IF EXISTS public CASCADE");
    await client.query("CREATE SCHEMA public");
    await client.query(
      `DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_database_owner') THEN
           ALTER SCHEMA public OWNER TO pg_database_owner;
         END IF;
       END $$`,
    );
    await client.query("GRANT USAGE ON SCHEMA public TO PUBLIC");
  });
  log(`Reset ${redactUrl(databaseUrl)} (dropped and recreated the public schema).`);
  const { appliedMigrationNames } = await withEngine(databaseUrl, undefined, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
  );
  logApplied(log, appliedMigrationNames, migrationsList.migrationDirectories.length);
  await prepareForApp(databaseUrl, options.appRole, log);
  return { applied: appliedMigrationNames };
}

/**
 * `prisma migrate resolve`: after fixing a failed migration by hand, mark it
 * rolled back (it will be re-applied by the next deploy) or applied.
 */
export async function resolveMigration(
  databaseUrl: string,
  options: MigrationsOptions & { migrationName: string; as: "applied" | "rolled-back" },
): Promise<void> {
  const log = options.log ?? stdoutLog;
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const migrationsList = await listMigrations(migrationsDir);
  await withEngine(databaseUrl, undefined, async (engine) => {
    if (options.as === "applied") {
      await engine.markMigrationApplied({ migrationName: options.migrationName, migrationsList });
    } else {
      await engine.markMigrationRolledBack({ migrationName: options.migrationName });
    }
  });
  log(`Marked ${options.migrationName} as ${options.as}.`);
}

/** Compare the migrations folder with the `_prisma_migrations` table. Read-only. */
export async function migrationStatus(databaseUrl: string, options: MigrationsOptions = {}): Promise<MigrationStatus> {
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const migrationsList = await listMigrations(migrationsDir);
  const output = await withEngine(databaseUrl, undefined, (engine) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTER }),
  );
  const history = output.history;
  return {
    migrations: migrationsList.migrationDirectories.map((dir) => dir.path),
    pending:
      history?.diagnostic === "databaseIsBehind" || history?.diagnostic === "historiesDiverge" ? history.unappliedMigrationNames : [],
    unknown:
      history?.diagnostic === "migrationsDirectoryIsBehind" || history?.diagnostic === "historiesDiverge"
        ? history.unpersistedMigrationNames
        : [],
    failed: output.failedMigrationNames,
    edited: output.editedMigrationNames,
    hasMigrationsTable: output.hasMigrationsTable,
  };
}

/**
 * Run the seed script (`prisma/seed.ts` by default) with
 * `tsx --conditions=react-server`, DATABASE_URL set to `databaseUrl`.
 * Returns false when there is no seed file.
 */
export async function runSeed(
  databaseUrl: string,
  options: { seedPath?: string; log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<boolean> {
  const log = options.log ?? stdoutLog;
  const seedPath = path.resolve(options.seedPath ?? "prisma/seed.ts");
  if (!fs.existsSync(seedPath)) {
    log(`No seed file (${displayPath(seedPath)}); nothing to seed.`);
    return false;
  }
  const tsx = path.resolve("node_modules/.bin/tsx");
  log(`Seeding with ${displayPath(seedPath)} …`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(tsx, ["--conditions=react-server", seedPath], {
      stdio: "inherit",
      env: { ...process.env, ...options.env, DATABASE_URL: databaseUrl },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new MigrationError(`The seed script failed (${signal ? `signal ${signal}` : `exit code ${code}`}).`));
    });
  });
  return true;
}

// ---------------------------------------------------------------------------
// Migrations folder (same reading rules as Prisma's listMigrations)

export async function listMigrations(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lockfileContent = await fs.promises.readFile(path.join(baseDir, LOCKFILE_NAME), "utf8").catch(() => null);
  const entries = await fs.promises.readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const file = path.join(baseDir, entry.name, "migration.sql");
    const content = await fs.promises
      .readFile(file, "utf8")
      .then((value) => ({ tag: "ok" as const, value }))
      .catch((error: unknown) => ({ tag: "error" as const, value: error instanceof Error ? error.message : String(error) }));
    migrationDirectories.push({ path: entry.name, migrationFile: { path: "migration.sql", content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: LOCKFILE_NAME, content: lockfileContent },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

function writeLockfileIfMissing(migrationsDir: string, connectorType: string): void {
  const file = path.join(migrationsDir, LOCKFILE_NAME);
  if (fs.existsSync(file)) return;
  fs.writeFileSync(
    file,
    `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${connectorType}"\n`,
    "utf8",
  );
}

export function sanitizeMigrationName(name: string): string {
  const cleaned = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "")
    .slice(0, 200);
  if (!cleaned) throw new MigrationError(`Invalid migration name "${name}": use letters, digits and underscores.`);
  return cleaned;
}

/**
 * Like Prisma's migrate commands, create the target database when it does not
 * exist. Best effort: without the CREATEDB privilege (or access to the
 * `postgres` database) the engine reports the missing database instead.
 */
async function createDatabaseIfMissing(databaseUrl: string, log: (line: string) => void): Promise<void> {
  try {
    if (await ensureDatabase(databaseUrl)) log(`Created database "${databaseNameOf(databaseUrl)}".`);
  } catch {
    // reported by the engine if it matters
  }
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
}

function readSchema(schemaPath: string): string {
  try {
    return fs.readFileSync(schemaPath, "utf8");
  } catch {
    throw new MigrationError(`Prisma schema not found: ${schemaPath}`);
  }
}

function logApplied(log: (line: string) => void, applied: string[], total: number): void {
  if (applied.length === 0) {
    log(`No pending migrations (${total} already applied).`);
    return;
  }
  for (const migration of applied) log(`Applied ${migration}`);
  log(`${applied.length} migration${applied.length === 1 ? "" : "s"} applied.`);
}

/**
 * The engine names a migration after the current second. Migrations apply in name order, so
 * a name that would not sort after the newest existing one (two migrations written within one
 * second, or a newer name already there) takes the newest one's timestamp plus one.
 */
export function orderedMigrationName(generated: string, existing: readonly string[]): string {
  const match = /^(\d{14})_(.*)$/.exec(generated);
  if (!match) return generated;
  const newest = existing
    .map((name) => /^(\d{14})_/.exec(name)?.[1])
    .filter((stamp): stamp is string => stamp !== undefined)
    .sort()
    .at(-1);
  if (newest === undefined || match[1]! > newest) return generated;
  return `${String(BigInt(newest) + 1n)}_${match[2]}`;
}
