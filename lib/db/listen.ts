import "server-only";
import pg from "pg";
import { timeoutOptions } from "@/lib/db/timeouts";
import { requireDatabaseUrl } from "@/lib/env";

/**
 * One dedicated pg connection that LISTENs on a channel and comes back after it is
 * lost: the serving cache (lib/serving/cache.ts) and the webhook dispatcher
 * (lib/webhooks/worker.ts) use it.
 *
 * - `connect()` opens the connection and subscribes; concurrent callers share one
 *   attempt; it throws when the database cannot be reached (and schedules nothing).
 * - `start()` is `connect()` that, on failure, keeps retrying in the background.
 * - A lost connection (`error` or `end`, or `drop()` by the owner, e.g. after a
 *   statement timeout) is reconnected with exponential backoff with jitter: the n-th
 *   retry waits between half and all of `min(max, initial · 2^n)`.
 * - Notifications sent while the connection is down are lost: owners resynchronise
 *   in `onConnected` (which runs after every successful connect, the first too).
 */

export type ListenOptions = {
  channel: string;
  /** Name shown in pg_stat_activity. */
  applicationName: string;
  /** Default: DATABASE_URL (lib/env), read at each connect. */
  connectionString?: string;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs. Default 250 ms. */
  reconnectInitialMs?: number;
  /** Default 10 s. */
  reconnectMaxMs?: number;
  /** A notification on the current connection. */
  onNotification(message: pg.Notification): void;
  /** Connected and subscribed; `failedAttempts` = scheduled reconnects that came before (0 on a first connect). */
  onConnected?(client: pg.Client, failedAttempts: number): void;
  /** A connect failed (the first or a reconnect). */
  onConnectFailed?(error: unknown): void;
  /** The connection was lost; a reconnect is scheduled. */
  onLost?(error: unknown): void;
  /** A scheduled reconnect succeeded (after `onConnected`). */
  onReconnected?(): void;
  /** What `connect()` throws once `close()` was called. */
  closedError?: () => Error;
};

export class PgListener {
  readonly #options: ListenOptions;
  #client: pg.Client | null = null;
  #connecting: Promise<void> | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #reconnectAttempt = 0;
  #closed = false;

  constructor(options: ListenOptions) {
    this.#options = options;
  }

  /** The connected, subscribed client, or null while (re)connecting. */
  get client(): pg.Client | null {
    return this.#client;
  }

  #closedError(): Error {
    return this.#options.closedError?.() ?? new Error(`LISTEN ${this.#options.channel}: closed`);
  }

  connect(): Promise<void> {
    if (this.#client) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  /** Connects, or keeps trying in the background; never throws. */
  async start(): Promise<void> {
    await this.connect().catch(() => this.scheduleReconnect());
  }

  async #connect(): Promise<void> {
    if (this.#closed) throw this.#closedError();
    const client = new pg.Client({
      connectionString: this.#options.connectionString ?? requireDatabaseUrl(),
      keepAlive: true,
      application_name: this.#options.applicationName,
      // Connect, statement and read timeouts (lib/db/timeouts.ts): a stalled server fails instead of hanging.
      ...timeoutOptions("app"),
    });
    client.on("error", (error) => this.drop(client, error));
    client.on("end", () => this.drop(client));
    client.on("notification", (message) => {
      if (client === this.#client) this.#options.onNotification(message);
    });
    try {
      await client.connect();
      // Subscribe before the owner loads anything: a change committed after this point notifies it.
      await client.query(`LISTEN ${this.#options.channel}`);
      if (this.#closed) throw this.#closedError();
      this.#client = client;
      const failedAttempts = this.#reconnectAttempt;
      this.#reconnectAttempt = 0;
      this.#options.onConnected?.(client, failedAttempts);
    } catch (error) {
      this.#options.onConnectFailed?.(error);
      release(client);
      throw error;
    }
  }

  /** Gives up `client` if it is the current connection (lost, or stuck) and schedules a reconnect. */
  drop(client: pg.Client, error?: unknown): void {
    if (client !== this.#client) return;
    this.#client = null;
    release(client);
    if (this.#closed) return;
    this.#options.onLost?.(error);
    this.scheduleReconnect();
  }

  scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const ceiling = Math.min(this.#options.reconnectMaxMs ?? 10_000, (this.#options.reconnectInitialMs ?? 250) * 2 ** this.#reconnectAttempt);
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#reconnectAttempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.connect().then(
        () => this.#options.onReconnected?.(),
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.#reconnectTimer.unref();
  }

  /** Stops reconnecting and closes the connection, once `until` (work still using it) settles. */
  async close(until?: Promise<unknown> | null): Promise<void> {
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const client = this.#client;
    this.#client = null;
    await until?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}

/** Ends a connection nobody uses any more; a late error on it must not crash the process. */
function release(client: pg.Client): void {
  client.removeAllListeners("notification");
  client.on("error", () => undefined);
  void client.end().catch(() => undefined);
}
