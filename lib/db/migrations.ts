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
 * Not "server-only": scripts and tests import this.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";
import pg from "pg";

import { dbTimeouts, timeoutOptions, type TimeoutOptions } from "./timeouts";
import { parseConfig } from "@/lib/env";
import { databaseNameOf, ensureDatabase, quoteIdent, redactUrl, withClient, withDatabaseName } from "./pg-admin";
import { prepareForApp } from "./roles";

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
    const folder = path.join(migrationsDir, output.generatedMigrationName);
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
    return { created: output.generatedMigrationName, file, applied, warnings };
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

export class MigrationError extends Error {
  override name = "MigrationError";
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

// ---------------------------------------------------------------------------
// Engine plumbing

type SchemaEngineClass = typeof SchemaEngine;
const ENGINE_CLASS_KEY = Symbol.for("modelpin.schema-engine-wasm");

/**
 * Instantiate the WASM module once per process (a second instantiation of the
 * wasm-bindgen glue panics). Cached on globalThis so that modules evaluated
 * several times in one process (Vitest) share it. The glue's setTimeout timers
 * are unref'd so that they do not hold the process open for ~10 s afterwards.
 */
function loadSchemaEngineClass(): Promise<SchemaEngineClass> {
  const holder = globalThis as { [ENGINE_CLASS_KEY]?: Promise<SchemaEngineClass> };
  holder[ENGINE_CLASS_KEY] ??= (async () => {
    installPanicRegistry();
    const runtime = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const require = createRequire(typeof __filename === "string" ? __filename : path.join(process.cwd(), "index.js"));
    const wasmFile = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
    const wasmModule = await WebAssembly.compile(await fs.promises.readFile(wasmFile));
    const imports: Record<string, unknown> = { ...runtime };
    for (const key of Object.keys(imports)) {
      if (key.startsWith("__wbg_setTimeout_")) {
        imports[key] = (callback: () => void, ms: number) => {
          const timer = setTimeout(callback, ms >>> 0);
          timer.unref();
          return timer;
        };
      }
    }
    const instance = await WebAssembly.instantiate(wasmModule, { "./schema_engine_bg.js": imports as WebAssembly.ModuleImports });
    runtime.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return runtime.SchemaEngine;
  })();
  return holder[ENGINE_CLASS_KEY];
}

/**
 * On a Rust panic the engine reports the message through this global (as in
 * Prisma's CLI) and then throws a WebAssembly RuntimeError ("unreachable").
 */
type PanicRegistry = { message: string | undefined; set_message(message: string): void };
const panicRegistry: PanicRegistry = {
  message: undefined,
  set_message(message: string) {
    panicRegistry.message = message;
  },
};

function installPanicRegistry(): void {
  const holder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
  holder.PRISMA_WASM_PANIC_REGISTRY ??= panicRegistry;
}

/** The message of the last engine panic, if any (panics can surface as uncaught exceptions). */
export function takeEnginePanicMessage(): string | undefined {
  return takePanicMessage();
}

function takePanicMessage(): string | undefined {
  const holder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
  const registry = holder.PRISMA_WASM_PANIC_REGISTRY;
  const message = registry?.message;
  if (registry) registry.message = undefined;
  return message;
}

/**
 * adapter-pg 7.x cannot map the catalog type `"char"` (OID 18) that the
 * engine's introspection queries return (pg_constraint.contype, pg_class.relkind, …):
 * it throws "Column type 'char' could not be deserialized", and reporting the
 * column as text is not enough (the engine panics reading it "as char").
 * So, per adapter/transaction object, we relabel OID 18 fields as text before
 * adapter-pg maps them, remember their positions, and report those columns as
 * ColumnTypeEnum.Character. This relies on adapter-pg's (JS-private)
 * `performIO`, called synchronously at the start of `queryRaw`; it fails
 * loudly if a future adapter-pg changes that.
 */
const CHAR_OID = 18;
const TEXT_OID = 25;

type PatchableQueryable = {
  queryRaw(query: SqlQuery): Promise<SqlResultSet>;
  performIO?: (query: SqlQuery) => Promise<{ fields: { dataTypeID: number }[] }>;
};

function patchCharColumns<T extends object>(queryable: T): T {
  const target = queryable as unknown as PatchableQueryable;
  const performIO = target.performIO?.bind(queryable);
  if (typeof performIO !== "function") {
    throw new MigrationError('@prisma/adapter-pg internals changed (no performIO): the "char" column workaround needs updating.');
  }
  let collector: number[] | undefined;
  target.performIO = async (query) => {
    const positions = collector;
    const result = await performIO(query);
    result.fields.forEach((field, index) => {
      if (field.dataTypeID === CHAR_OID) {
        field.dataTypeID = TEXT_OID;
        positions?.push(index);
      }
    });
    return result;
  };
  const queryRaw = target.queryRaw.bind(queryable);
  target.queryRaw = (query) => {
    const positions: number[] = [];
    collector = positions;
    let pending: Promise<SqlResultSet>;
    try {
      pending = queryRaw(query); // calls performIO synchronously
    } finally {
      collector = undefined;
    }
    return pending.then((resultSet) => {
      for (const index of positions) resultSet.columnTypes[index] = ColumnTypeEnum.Character;
      return resultSet;
    });
  };
  return queryable;
}

type DatabaseErrorSink = (error: unknown) => void;

/**
 * Patch an adapter from PrismaPg for the engine: "char" columns everywhere, and
 * remember the PostgreSQL error of a failing script (migration.sql), whose
 * message the engine drops. (Errors of the engine's own queries are left
 * alone: some are expected, e.g. probing for _prisma_migrations.)
 */
function patchAdapter(adapter: SqlDriverAdapter, onScriptError: DatabaseErrorSink): SqlDriverAdapter {
  patchCharColumns(adapter);
  // adapter-pg's executeScript splits the script on every ";", which breaks
  // dollar-quoted bodies (plpgsql trigger functions). Run the whole script as
  // one simple-protocol query instead, like Prisma's native engine: it may
  // hold many statements and runs as one implicit transaction.
  const internals = adapter as unknown as { client: { query(sql: string): Promise<unknown> }; onError(e: unknown): never };
  if (typeof internals.client?.query !== "function" || typeof internals.onError !== "function") {
    throw new Error("adapter-pg internals changed (client/onError): update patchAdapter in lib/db/migrations.ts");
  }
  adapter.executeScript = async (script) => {
    try {
      await internals.client.query(script);
    } catch (error) {
      try {
        internals.onError(error);
      } catch (mapped) {
        rethrowAfter(onScriptError)(mapped);
      }
    }
  };
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (...args) => patchCharColumns(await startTransaction(...args));
  return adapter;
}

function rethrowAfter(sink: DatabaseErrorSink) {
  return (error: unknown): never => {
    sink(error);
    throw error;
  };
}

/**
 * The engine reports database errors through adapter-pg's mapped error kinds
 * ("Null constraint failed:"), dropping PostgreSQL's message; adapter-pg keeps
 * it as `originalMessage`/`originalCode` on the DriverAdapterError's cause.
 */
function describeDatabaseError(error: unknown): string | undefined {
  if (!error || typeof error !== "object") return undefined;
  const cause = (error as { cause?: { originalMessage?: unknown; originalCode?: unknown; message?: unknown } }).cause;
  const message = typeof cause?.originalMessage === "string" ? cause.originalMessage : undefined;
  if (!message) return undefined;
  return typeof cause?.originalCode === "string" ? `${message} (SQLSTATE ${cause.originalCode})` : message;
}

function migrationTimeouts(): TimeoutOptions {
  try {
    // Parsed afresh, not env(): a script may set DATABASE_URL or Nyckel's settings after migrating.
    return timeoutOptions("migrations", dbTimeouts(parseConfig(process.env)));
  } catch {
    return timeoutOptions("migrations", { connectMs: 2_000, statementMs: 2_500, lockMs: 2_000, idleInTransactionMs: 30_000, jobsStatementMs: 60_000, breakerOpenMs: 1_000 });
  }
}

function createPool(url: string): pg.Pool {
  // Connect and lock timeouts, no statement timeout (lib/db/timeouts.ts); falls back to the defaults when the configuration is incomplete.
  const pool = new pg.Pool({ connectionString: url, max: 4, ...migrationTimeouts() });
  pool.on("error", () => undefined); // idle-client errors (server restarts) must not crash the CLI
  return pool;
}

/**
 * Driver adapter factory for the engine: the main database, plus shadow
 * databases created on the same server on demand (named
 * `<db>_shadow_<random>`) and dropped when the engine releases them — after
 * their pool is closed, since a database with open sessions cannot be dropped.
 */
class MigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "@prisma/adapter-pg";
  private readonly pools = new Set<pg.Pool>();
  private readonly shadowUrls = new Set<string>();
  /** The last error PostgreSQL returned to the engine, for error messages. */
  lastDatabaseError: unknown;
  private readonly recordError: DatabaseErrorSink = (error) => {
    this.lastDatabaseError = error;
  };

  constructor(private readonly url: string) {}

  async connect(): Promise<SqlDriverAdapter> {
    const pool = createPool(this.url);
    this.pools.add(pool);
    return patchAdapter(await new PrismaPg(pool).connect(), this.recordError);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadowName = `${databaseNameOf(this.url).slice(0, 30)}_shadow_${randomBytes(6).toString("hex")}`;
    const shadowUrl = withDatabaseName(this.url, shadowName);
    this.shadowUrls.add(shadowUrl);
    // Through the main database (the user may not be allowed into "postgres").
    await withClient(this.url, (client) => client.query(`CREATE DATABASE ${quoteIdent(shadowName)}`));
    const pool = createPool(shadowUrl);
    this.pools.add(pool);
    const adapter = patchAdapter(await new PrismaPg(pool).connect(), this.recordError);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await this.releaseShadow(pool, shadowUrl);
    };
    return adapter;
  }

  private async releaseShadow(pool: pg.Pool, shadowUrl: string): Promise<void> {
    if (this.pools.delete(pool)) await pool.end().catch(() => undefined);
    if (this.shadowUrls.delete(shadowUrl)) await this.dropShadow(shadowUrl);
  }

  private async dropShadow(shadowUrl: string): Promise<void> {
    const name = databaseNameOf(shadowUrl);
    await withClient(this.url, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  }

  /** Close every pool and drop shadow databases the engine did not release. */
  async close(): Promise<void> {
    const pools = [...this.pools];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
    const leftovers = [...this.shadowUrls];
    this.shadowUrls.clear();
    for (const shadowUrl of leftovers) await this.dropShadow(shadowUrl).catch(() => undefined);
  }
}

const liveFactories = new Set<MigrationAdapterFactory>();

/**
 * Close the connections and drop the shadow databases of engine runs still in
 * progress. For crash handlers (an engine panic can surface as an uncaught
 * exception, skipping the normal cleanup).
 */
export async function closeMigrationConnections(): Promise<void> {
  const factories = [...liveFactories];
  liveFactories.clear();
  await Promise.all(factories.map((factory) => factory.close()));
}

async function withEngine<T>(
  databaseUrl: string,
  schemaFiles: { path: string; content: string }[] | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const SchemaEngineClass = await loadSchemaEngineClass();
  const factory = new MigrationAdapterFactory(databaseUrl);
  liveFactories.add(factory);
  const bound: ErrorCapturingSqlMigrationAwareDriverAdapterFactory = bindMigrationAwareSqlAdapterFactory(factory);
  const debug = process.env.MODELPIN_DEBUG_MIGRATIONS ? (line: string) => process.stderr.write(`[schema-engine] ${line}\n`) : () => undefined;
  // The engine's own timers are unref'd: keep the process alive while it works.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let engine: SchemaEngine | undefined;
  try {
    engine = await SchemaEngineClass.new(
      { datamodels: schemaFiles?.map((file) => [file.path, file.content] as [string, string]) },
      debug,
      bound,
    );
    return await fn(engine);
  } catch (error) {
    throw toReadableError(error, bound, databaseUrl, factory.lastDatabaseError);
  } finally {
    engine?.free();
    liveFactories.delete(factory);
    await factory.close();
    clearInterval(keepAlive);
  }
}

function toReadableError(
  error: unknown,
  bound: ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  databaseUrl: string,
  lastDatabaseError: unknown,
): Error {
  if (error instanceof MigrationError) return error;
  const original = error instanceof Error ? error : new Error(String(error));
  const panic = takePanicMessage();
  if (panic) {
    const readable = new MigrationError(`The migration engine crashed (Rust panic): ${panic}`);
    readable.cause = original;
    return readable;
  }
  // Errors thrown by the adapter (pg) are captured in the registry and referenced by id.
  const idMatch = /\bid#(\d+)|"id"\s*:\s*(\d+)/.exec(original.message);
  const id = idMatch ? Number(idMatch[1] ?? idMatch[2]) : undefined;
  const recorded = id === undefined ? undefined : bound.errorRegistry.consumeError(id);
  const cause = recorded?.error instanceof Error ? recorded.error : undefined;
  // Drop the engine's Rust span trace ("   0: sql_schema_connector::… at …rs:113").
  let detail = original.message.split(/\n\s+0: /)[0]!.trimEnd();
  if (cause) {
    detail = /External error id#\d+/.test(detail) ? detail.replace(/External error id#\d+/, cause.message) : `${detail}\n${cause.message}`;
  }
  const database = describeDatabaseError(lastDatabaseError);
  if (database && !detail.includes(database)) detail += `\nPostgreSQL said: ${database}`;
  if (/Failed to connect to the shadow database|permission denied to create database/i.test(detail)) {
    detail +=
      "\nCreating a migration applies the existing migrations to a temporary shadow database on the same server: " +
      "the database user needs the CREATEDB privilege (ALTER ROLE <user> CREATEDB).";
  }
  const readable = new MigrationError(`Migration engine error (${redactUrl(databaseUrl)}): ${detail}`);
  readable.cause = cause ?? original;
  return readable;
}
