import { ServingCacheUnavailableError } from "./cache";

/** Connection-level failures: refused, reset, server shutting down, Prisma "can't reach". */
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
  "08000",
  "08001",
  "08003",
  "08006",
  "P1001",
  "P1002",
  "P1017",
]);

const UNAVAILABLE_MESSAGE = /ECONNREFUSED|Connection terminated|connection (?:is )?closed|the database system is (?:shutting down|starting up)|Can't reach database server/i;

/** Whether an error means "the database cannot be reached" (answer 503, not 500). Walks the cause chain. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof ServingCacheUnavailableError) return true;
    if (typeof current === "object") {
      const { code, message } = current as { code?: unknown; message?: unknown };
      if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
      if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
      if (current instanceof AggregateError && current.errors.some((e) => isDatabaseUnavailable(e))) return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
