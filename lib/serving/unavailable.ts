import { DatabaseUnavailableError } from "@/lib/db/breaker";
import { ServingCacheUnavailableError } from "./cache";

/**
 * Connection-level failures and timeouts: refused, reset, server shutting
 * down, Prisma "can't reach", and every timeout of lib/db/timeouts.ts (the
 * database did not answer in time: a stalled or overloaded server).
 */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "57014", // query_canceled: statement_timeout
  "55P03", // lock_not_available: lock_timeout
  "25P03", // idle_in_transaction_session_timeout
  "08000",
  "08001",
  "08003",
  "08006",
  "P1001", // can't reach database server
  "P1002", // reached but timed out
  "P1008", // operations timed out
  "P1017", // server closed the connection
  "P2024", // timed out fetching a connection from the pool
]);

const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|Connection terminated|connection (?:is )?closed|the database system is (?:shutting down|starting up)|Can't reach database server|Query read timeout|timeout exceeded when trying to connect|canceling statement due to (?:statement|lock) timeout|SocketTimeout|Socket timeout/i;

/** Whether an error means "the database cannot be reached" (answer 503, not 500). Walks the cause chain. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof ServingCacheUnavailableError || current instanceof DatabaseUnavailableError) return true;
    // By name too: Next bundles these modules more than once, and the process's one cache throws the class of the bundle that made it.
    if (current instanceof Error && current.name === "ServingCacheUnavailableError") return true;
    if (typeof current === "object") {
      const { code, message, kind } = current as { code?: unknown; message?: unknown; kind?: unknown };
      if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
      if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
      if (kind === "SocketTimeout" || kind === "DatabaseNotReachable" || kind === "ConnectionClosed") return true;
      if (current instanceof AggregateError && current.errors.some((e) => isDatabaseUnavailable(e))) return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
