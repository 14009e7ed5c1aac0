/**
 * Every application pool is made here: the timeouts (lib/db/timeouts.ts), the
 * breaker (lib/db/breaker.ts), an application name for pg_stat_activity and
 * a place in the pool registry (/metrics).
 *
 * Not "server-only": scripts and tests use the pools too.
 */
import pg from "pg";
import { logger } from "@/lib/logger";
import { breakerFor, guardPool, type DatabaseBreaker } from "./breaker";
import { trackPool } from "./pool-registry";
import { POOL_ACQUIRE_TIMEOUT_MS, timeoutOptions } from "./timeouts";

export type GuardedPoolOptions = {
  /** Registry name ("prisma", "pg", …); the application name is `modelpin-<name>`. */
  name: string;
  connectionString: string;
  max: number;
  idleTimeoutMillis?: number;
};

/** The breaker of a database, logging one line when it opens and one when it closes. */
export function databaseBreaker(connectionString: string): DatabaseBreaker {
  return breakerFor(connectionString, {
    onOpen: (error) =>
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "database: not answering; failing queries at once until a probe gets an answer",
      ),
    onClose: (downMs) => logger.info({ downMs }, "database: answering again"),
  });
}

export function createGuardedPool(options: GuardedPoolOptions): pg.Pool {
  const timeouts = timeoutOptions("app");
  // pg-pool uses one option for two waits: connecting a new client, and waiting in its queue for a
  // busy pool. The queue may wait long (a burst of writes); each connection attempt gets the short
  // connect timeout through its own client.
  class TimedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === "string" ? { connectionString: config } : config), connectionTimeoutMillis: timeouts.connectionTimeoutMillis });
    }
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    application_name: `modelpin-${options.name}`,
    keepAlive: true,
    ...timeouts,
    connectionTimeoutMillis: POOL_ACQUIRE_TIMEOUT_MS,
    Client: TimedClient,
  });
  pool.on("error", () => undefined); // an idle client's error (server restart) must not crash the process
  guardPool(pool, databaseBreaker(options.connectionString));
  trackPool(options.name, options.max, () => pool);
  return pool;
}
