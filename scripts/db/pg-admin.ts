/**
 * Small PostgreSQL administration helpers shared by the embedded launcher,
 * the migration tooling and the test setup. Plain `pg`, no Prisma; the
 * connection helper the app also uses is lib/db/pg-client.ts.
 */
import { quoteIdent, withClient } from "@/lib/db/pg-client";

export type ProbeResult =
  | { state: "up" }
  | { state: "down" }
  /** A server answers but is starting up / shutting down (SQLSTATE 57P03). */
  | { state: "busy"; message: string }
  /** A PostgreSQL server answers but rejects the credentials. */
  | { state: "auth-failed"; message: string }
  /** Something answers on the port, but the handshake failed. */
  | { state: "error"; message: string };

/** Return `url` with its database name replaced. */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database name in a PostgreSQL connection URL (default: the user name, as libpq does). */
export function databaseNameOf(url: string): string {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  return name || decodeURIComponent(parsed.username) || "postgres";
}

function errorCode(error: unknown): string | undefined {
  if (error && typeof error === "object" && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Try to connect once and classify the outcome. */
export async function probePostgres(url: string, timeoutMs = 3_000): Promise<ProbeResult> {
  try {
    await withClient(url, async (client) => client.query("SELECT 1"), timeoutMs);
    return { state: "up" };
  } catch (error) {
    const code = errorCode(error);
    const message = errorMessage(error);
    if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EADDRNOTAVAIL") return { state: "down" };
    if (code === "57P03") return { state: "busy", message };
    // 28P01 invalid_password, 28000 invalid_authorization_specification
    if (code === "28P01" || code === "28000") return { state: "auth-failed", message };
    // 3D000: the database does not exist, but the server is up and accepted us.
    if (code === "3D000") return { state: "up" };
    return { state: "error", message };
  }
}

/** Create the database named in `url` if it does not exist (connects to the `postgres` database). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseNameOf(url);
  return withClient(withDatabaseName(url, "postgres"), async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      // Created concurrently: 42P04 duplicate_database, or 23505 when both inserts race in pg_database.
      if (errorCode(error) === "42P04" || errorCode(error) === "23505") return false;
      throw error;
    }
  });
}

/** Drop the database named in `url` if it exists, disconnecting its sessions (PostgreSQL 13+). */
export async function dropDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  await withClient(withDatabaseName(url, "postgres"), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}
