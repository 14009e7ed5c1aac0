/**
 * The database timeouts of every connection Modelpin opens (docs/scaling.md,
 * "Failure behaviour"), from the environment:
 *
 * | variable | default | what |
 * | --- | --- | --- |
 * | MODELPIN_DB_CONNECT_TIMEOUT_MS | 2000 | TCP connect + start-up handshake of one connection |
 * | MODELPIN_DB_STATEMENT_TIMEOUT_MS | 2500 | one statement: the client's own read timeout; PostgreSQL's `statement_timeout` is 250 ms shorter, so a slow statement is normally cancelled by the server (a clean error, the connection stays usable) before the client gives up |
 * | MODELPIN_DB_LOCK_TIMEOUT_MS | 2000 | waiting for a row or table lock (`lock_timeout`) |
 * | MODELPIN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS | 30000 | a transaction left open without work (`idle_in_transaction_session_timeout`) |
 * | MODELPIN_JOBS_STATEMENT_TIMEOUT_MS | 60000 | pg-boss's statements and lock waits (its maintenance runs longer) |
 *
 * The client-side read timeout (`query_timeout`) matters most: a stalled
 * server (SIGSTOP, a frozen VM) still accepts TCP connections and enforces
 * none of its own timeouts, so only the client can give up.
 *
 * Waiting for a pooled connection is not a database timeout: a burst of
 * writes queues for the pool's connections (up to POOL_ACQUIRE_TIMEOUT_MS,
 * Prisma's own `maxWait`), and the breaker (lib/db/breaker.ts) fails the
 * waiters at once when the server stops answering.
 *
 * Not "server-only": the migration tooling (scripts) uses it too.
 */
import type pg from "pg";
import { env, type Config } from "@/lib/env";

/** The longest wait for a pooled connection (the same as Prisma's transaction `maxWait`). */
export const POOL_ACQUIRE_TIMEOUT_MS = 10_000;

/** PostgreSQL's statement_timeout: this much shorter than the client's read timeout. */
const SERVER_FIRST_MS = 250;

export type DbTimeouts = {
  connectMs: number;
  statementMs: number;
  lockMs: number;
  idleInTransactionMs: number;
  jobsStatementMs: number;
  /** How long the breaker fails new queries at once after a timeout (lib/db/breaker.ts). */
  breakerOpenMs: number;
};

/** From the process's cached configuration, or from `c` (tooling that must not freeze the cache: migrations). */
export function dbTimeouts(c: Config = env()): DbTimeouts {
  return {
    connectMs: c.MODELPIN_DB_CONNECT_TIMEOUT_MS,
    statementMs: c.MODELPIN_DB_STATEMENT_TIMEOUT_MS,
    lockMs: c.MODELPIN_DB_LOCK_TIMEOUT_MS,
    idleInTransactionMs: c.MODELPIN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    jobsStatementMs: c.MODELPIN_JOBS_STATEMENT_TIMEOUT_MS,
    breakerOpenMs: c.MODELPIN_DB_BREAKER_OPEN_MS,
  };
}

/**
 * - app: Prisma's pool, the plain pg pool, the serving cache's LISTEN
 *   connection, the workers' lock and LISTEN connections.
 * - jobs: pg-boss (longer statements and lock waits).
 * - migrations: connect and lock timeouts only (a migration may run long, but
 *   must not queue every application query behind a lock it waits for).
 */
export type TimeoutPurpose = "app" | "jobs" | "migrations";

export type TimeoutOptions = Pick<
  pg.ClientConfig,
  "connectionTimeoutMillis" | "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" | "query_timeout"
>;

export function timeoutOptions(purpose: TimeoutPurpose, t: DbTimeouts = dbTimeouts()): TimeoutOptions {
  switch (purpose) {
    case "app":
      return {
        connectionTimeoutMillis: t.connectMs,
        statement_timeout: Math.max(100, t.statementMs - SERVER_FIRST_MS),
        query_timeout: t.statementMs,
        lock_timeout: t.lockMs,
        idle_in_transaction_session_timeout: t.idleInTransactionMs,
      };
    case "jobs":
      return {
        connectionTimeoutMillis: t.connectMs,
        statement_timeout: t.jobsStatementMs - SERVER_FIRST_MS,
        query_timeout: t.jobsStatementMs,
        lock_timeout: t.jobsStatementMs,
        idle_in_transaction_session_timeout: Math.max(t.idleInTransactionMs, t.jobsStatementMs),
      };
    case "migrations":
      return {
        connectionTimeoutMillis: Math.max(t.connectMs, 10_000),
        lock_timeout: Math.max(t.lockMs, 10_000),
        idle_in_transaction_session_timeout: Math.max(t.idleInTransactionMs, 60_000),
      };
  }
}
