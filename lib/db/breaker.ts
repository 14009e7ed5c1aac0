/**
 * A circuit breaker per database (docs/scaling.md, "Failure behaviour").
 *
 * A stalled PostgreSQL accepts connections and never answers, so every query
 * would wait for its own timeout and queue behind the others. After the first
 * client-side timeout (connect, read, or waiting for a pooled connection) or a
 * refused connection, the breaker opens: new connection acquisitions fail at
 * once with `DatabaseUnavailableError` (callers answer 503 / the error page)
 * while a background probe (`SELECT 1` on its own connection, every
 * `openMs`) checks the database; the first probe that answers closes it.
 *
 * Not "server-only": scripts and tests use the pools too.
 */
import pg from "pg";
import { dbTimeouts } from "./timeouts";

/** Thrown instead of waiting while the breaker is open. Shaped like a socket timeout so every layer (adapter-pg, Prisma) treats it as "unreachable". */
export class DatabaseUnavailableError extends Error {
  readonly code = "ETIMEDOUT";
  readonly syscall = "connect";
  readonly errno = -110;
  constructor(cause?: unknown) {
    super("Modelpin cannot reach its database (it did not answer in time; retrying in the background).", cause === undefined ? undefined : { cause });
    this.name = "DatabaseUnavailableError";
  }
}

// Not pg-pool's "timeout exceeded when trying to connect": a wait for a pooled connection that
// runs out means the pool is busy, not that the server is gone (a burst of 100 writes on 10
// connections); the handshake's own timeout reads "Connection terminated due to connection timeout".
const TRIPPING_MESSAGE = /Query read timeout|Connection terminated due to connection timeout|timeout expired/i;
const TRIPPING_CODES = new Set(["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "57P01", "57P03"]);

/** Errors that say "the server did not answer / is not there" (not: a slow query the server itself cancelled). */
export function tripsBreaker(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return false;
  if (!error || typeof error !== "object") return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && TRIPPING_CODES.has(code)) return true;
  return typeof message === "string" && TRIPPING_MESSAGE.test(message);
}

export type BreakerEvents = { onOpen?: (error: unknown) => void; onClose?: (downMs: number) => void };

export class DatabaseBreaker {
  #openSince: number | null = null;
  #lastError: unknown;
  #probeTimer: NodeJS.Timeout | null = null;
  #probing = false;
  #openListeners = new Set<() => void>();

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly openMs: number,
    private readonly events: BreakerEvents = {},
  ) {}

  get isOpen(): boolean {
    return this.#openSince !== null;
  }

  /** Milliseconds since the breaker opened, or null when closed. */
  get openForMs(): number | null {
    return this.#openSince === null ? null : Date.now() - this.#openSince;
  }

  /** The error to fail with now, or null when queries may go ahead. */
  refusal(): DatabaseUnavailableError | null {
    return this.#openSince === null ? null : new DatabaseUnavailableError(this.#lastError);
  }

  /** Called with every error a pooled connection or query saw. */
  observe(error: unknown): void {
    if (!tripsBreaker(error)) return;
    this.#lastError = error;
    if (this.#openSince !== null) return;
    this.#openSince = Date.now();
    this.events.onOpen?.(error);
    const listeners = [...this.#openListeners];
    this.#openListeners.clear();
    for (const listener of listeners) listener();
    this.#scheduleProbe();
  }

  /** Calls `listener` once when the breaker next opens; returns the unsubscribe. */
  onNextOpen(listener: () => void): () => void {
    this.#openListeners.add(listener);
    return () => this.#openListeners.delete(listener);
  }

  /** Stop probing (process shutdown); the breaker stays as it is. */
  dispose(): void {
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
  }

  #scheduleProbe(): void {
    if (this.#probeTimer || this.#probing) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      this.#probing = true;
      this.probe().then(
        () => {
          this.#probing = false;
          const since = this.#openSince;
          this.#openSince = null;
          if (since !== null) this.events.onClose?.(Date.now() - since);
        },
        (error: unknown) => {
          this.#probing = false;
          this.#lastError = error;
          this.#scheduleProbe();
        },
      );
    }, this.openMs);
    this.#probeTimer.unref();
  }
}

/** `SELECT 1` on a fresh connection, giving up after `timeoutMs`. */
export async function probeDatabase(connectionString: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: "modelpin-probe" });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    void client.end().catch(() => undefined);
  }
}

type Holder = { [key: symbol]: Map<string, DatabaseBreaker> | undefined };
const key = Symbol.for("modelpin.db.breakers");

/** The breaker of one database URL (one per process; survives hot reloads). */
export function breakerFor(connectionString: string, events: BreakerEvents = {}): DatabaseBreaker {
  const holder = globalThis as unknown as Holder;
  const map = (holder[key] ??= new Map());
  let breaker = map.get(connectionString);
  if (!breaker) {
    const { connectMs, breakerOpenMs } = dbTimeouts();
    breaker = new DatabaseBreaker(() => probeDatabase(connectionString, connectMs), breakerOpenMs, events);
    map.set(connectionString, breaker);
  }
  return breaker;
}

type Callback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * Put `pool` behind `breaker`: acquisitions fail at once while it is open, the
 * ones already waiting for a connection fail as soon as it opens (a stalled
 * server would otherwise keep them queued until the pool's own wait runs
 * out), and every acquisition or query error is shown to it. `pool.query`
 * acquires through `pool.connect`, so both paths are covered.
 */
export function guardPool(pool: pg.Pool, breaker: DatabaseBreaker): pg.Pool {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const acquire = (): Promise<pg.PoolClient> => {
    const refusal = breaker.refusal();
    if (refusal) return Promise.reject(refusal);
    return new Promise<pg.PoolClient>((resolve, reject) => {
      let settled = false;
      const unsubscribe = breaker.onNextOpen(() => {
        if (settled) return;
        settled = true;
        reject(breaker.refusal() ?? new DatabaseUnavailableError());
      });
      connect().then(
        (client) => {
          unsubscribe();
          if (settled) client.release(); // the caller already got the refusal
          else {
            settled = true;
            resolve(client);
          }
        },
        (err: unknown) => {
          unsubscribe();
          breaker.observe(err);
          if (!settled) {
            settled = true;
            reject(err);
          }
        },
      );
    });
  };
  const guarded = (cb?: Callback): Promise<pg.PoolClient> | undefined => {
    if (!cb) return acquire();
    acquire().then(
      (client) => cb(undefined, client, (release?: unknown) => client.release(release as Error | boolean | undefined)),
      (err: Error) => cb(err, undefined, () => undefined),
    );
    return undefined;
  };
  (pool as unknown as { connect: typeof guarded }).connect = guarded;
  pool.on("connect", (client) => watchClient(client, breaker));
  return pool;
}

/** Show the breaker every error of this client's queries (callback and promise forms). */
export function watchClient(client: pg.ClientBase, breaker: DatabaseBreaker): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === "function") {
      args[last] = (err: unknown, res: unknown) => {
        if (err) breaker.observe(err);
        (cb as (e: unknown, r: unknown) => void)(err, res);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => breaker.observe(err));
    }
    return result;
  };
}
