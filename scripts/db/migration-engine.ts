/**
 * The schema engine's plumbing for the offline migrations (scripts/db/migrations.ts):
 * loading `@prisma/schema-engine-wasm` once per process, its panic hook, the
 * `@prisma/adapter-pg` adapter it drives (with the `"char"` column and script-error
 * workarounds and the migration role's timeouts), the shadow databases it asks for,
 * and its errors made readable.
 */
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
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import pg from "pg";

import { dbTimeouts, timeoutOptions, type TimeoutOptions } from "@/lib/db/timeouts";
import { parseConfig } from "@/lib/env";
import { quoteIdent, redactUrl, withClient } from "@/lib/db/pg-client";
import { databaseNameOf, withDatabaseName } from "./pg-admin";

export class MigrationError extends Error {
  override name = "MigrationError";
}

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
    throw new Error("adapter-pg internals changed (client/onError): update patchAdapter in scripts/db/migration-engine.ts");
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

export async function withEngine<T>(
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
