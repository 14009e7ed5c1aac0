import "server-only";
import pg from "pg";
import { tripsBreaker } from "@/lib/db/breaker";
import { PgListener } from "@/lib/db/listen";
import { logger } from "@/lib/logger";
import { ensurePrefix } from "@/lib/nyckel/ids";

/**
 * The serving cache: per process, an in-memory snapshot of what the resolve API
 * and the invoke proxy need — token hashes, environments, pins and the synced
 * functions — so that, once warm, their hot path never waits for PostgreSQL.
 *
 * Consistency (see docs/serving.md):
 * - One dedicated pg connection LISTENs on `modelpin_changes` (triggers on pins,
 *   api_tokens and environments; the function sync notifies too) and runs the
 *   loads. It subscribes BEFORE the first load, so no change can fall between
 *   the load and the subscription.
 * - A notification marks its part (tokens / environments / pins / functions)
 *   dirty; one reload loop at a time reloads the dirty parts. A notification
 *   that arrives while a load runs marks the part dirty again, so the loop loads
 *   it once more after the current load: the result is never older than the
 *   last notification. Bursts coalesce into few reloads.
 * - Each reload swaps in a new immutable snapshot (generation + 1); a request
 *   reads one snapshot and sees one consistent state.
 * - Connection lost: the last snapshot keeps being served; the connection is
 *   re-established with exponential backoff (with jitter), and everything is
 *   reloaded after reconnecting (notifications sent meanwhile are lost).
 * - A full reload every `safetyReloadMs` (60 s) bounds the damage of anything
 *   that changes the data without a notification.
 */

export const CHANGES_CHANNEL = "modelpin_changes";

export type TokenEntry = {
  id: string;
  /** Its name, for the audit actor of the automation API (`token: <name>`). */
  name: string;
  environmentId: string;
  /** Epoch milliseconds, or null. */
  expiresAt: number | null;
  revokedAt: number | null;
  /** What the token may do (lib/tokens/scopes.ts). */
  scopes: ReadonlySet<string>;
};

export type EnvironmentEntry = {
  id: string;
  slug: string;
  name: string;
  allowCallerModelOverride: boolean;
  createdAt: Date;
};

export type PinEntry = {
  /** Null: latest. */
  modelId: string | null;
  version: number;
  updatedAt: Date;
};

export type FunctionEntry = { id: string; name: string };

/** What the resolve answers are rendered from; replaced as a whole when any of it changes. */
export type ServingContent = {
  environmentsBySlug: ReadonlyMap<string, EnvironmentEntry>;
  environmentsById: ReadonlyMap<string, EnvironmentEntry>;
  /** environment id → function id → pin (no entry = latest, version 0). */
  pins: ReadonlyMap<string, ReadonlyMap<string, PinEntry>>;
  /** Ordered by name, then id (as the database-backed answers). */
  functions: readonly FunctionEntry[];
  functionIds: ReadonlySet<string>;
};

export type ServingSnapshot = {
  generation: number;
  loadedAt: number;
  /** SHA-256 (hex) of the token → entry. */
  tokens: ReadonlyMap<string, TokenEntry>;
  content: ServingContent;
};

type Part = "tokens" | "environments" | "pins" | "functions";
const ALL_PARTS: readonly Part[] = ["tokens", "environments", "pins", "functions"];
const PART_OF_TABLE: Record<string, Part> = { api_tokens: "tokens", environments: "environments", pins: "pins", functions: "functions" };

/** The database cannot be reached and nothing has been loaded yet. */
export class ServingCacheUnavailableError extends Error {
  constructor(cause?: unknown) {
    super("The pin cache is not loaded and the database cannot be reached.", cause === undefined ? undefined : { cause });
    this.name = "ServingCacheUnavailableError";
  }
}

export type ServingCacheOptions = {
  /** Default: DATABASE_URL (lib/env). */
  connectionString?: string;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs. Default 250 ms. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Full reload interval while connected (0 = never). Default 60 s. */
  safetyReloadMs?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
};

export type ServingCacheStats = {
  connected: boolean;
  generation: number;
  notifications: number;
  reloads: number;
  fullReloads: number;
  reconnects: number;
  lastReloadMs: number | null;
  lastReloadParts: Part[];
  /** Process id of the listening backend (pg_stat_activity.pid), for tests and diagnostics. */
  backendPid: number | null;
};

type PinRow = { environment_id: string; function_id: string; model_id: string | null; version: number; updated_at: Date };

export class ServingCache {
  readonly #options: Required<Omit<ServingCacheOptions, "connectionString">> & { connectionString?: string };
  readonly #listener: PgListener;
  #snapshot: ServingSnapshot | null = null;
  #lastConnectFailure: { at: number; error: unknown } | null = null;
  #dirty = new Set<Part>();
  #reloading: Promise<void> | null = null;
  #safetyTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #stats: ServingCacheStats = {
    connected: false,
    generation: 0,
    notifications: 0,
    reloads: 0,
    fullReloads: 0,
    reconnects: 0,
    lastReloadMs: null,
    lastReloadParts: [],
    backendPid: null,
  };

  constructor(options: ServingCacheOptions = {}) {
    this.#options = {
      connectionString: options.connectionString,
      reconnectInitialMs: options.reconnectInitialMs ?? 250,
      reconnectMaxMs: options.reconnectMaxMs ?? 10_000,
      safetyReloadMs: options.safetyReloadMs ?? 60_000,
      applicationName: options.applicationName ?? "modelpin-serving-cache",
    };
    this.#listener = new PgListener({
      channel: CHANGES_CHANNEL,
      applicationName: this.#options.applicationName,
      connectionString: this.#options.connectionString,
      reconnectInitialMs: this.#options.reconnectInitialMs,
      reconnectMaxMs: this.#options.reconnectMaxMs,
      closedError: () => new ServingCacheUnavailableError(),
      onNotification: (message) => this.#onNotification(message),
      onConnected: (client, failedAttempts) => this.#onConnected(client, failedAttempts),
      onConnectFailed: (error) => {
        this.#lastConnectFailure = { at: Date.now(), error };
      },
      onLost: (error) => this.#onConnectionLost(error),
      onReconnected: () => logger.info("serving cache: reconnected; reloading everything"),
    });
  }

  /** The current snapshot, or null before the first load. Synchronous: the hot path. */
  get snapshot(): ServingSnapshot | null {
    return this.#snapshot;
  }

  get stats(): ServingCacheStats {
    return { ...this.#stats, connected: this.#listener.client !== null, generation: this.#snapshot?.generation ?? 0 };
  }

  /**
   * The snapshot; on first use connects, LISTENs, then loads everything.
   * Throws ServingCacheUnavailableError when cold and the database is unreachable.
   */
  async ready(): Promise<ServingSnapshot> {
    if (this.#snapshot) return this.#snapshot;
    if (this.#closed) throw new ServingCacheUnavailableError();
    // Cold and the database just refused: fail fast instead of queueing connection attempts.
    const failure = this.#lastConnectFailure;
    if (failure && Date.now() - failure.at < 1000) throw new ServingCacheUnavailableError(failure.error);
    try {
      await this.#listener.connect();
      await this.#drain();
    } catch (error) {
      if (this.#snapshot) return this.#snapshot;
      throw new ServingCacheUnavailableError(error);
    }
    if (!this.#snapshot) throw new ServingCacheUnavailableError(this.#lastConnectFailure?.error);
    return this.#snapshot;
  }

  /** Reloads everything now (tests, scripts, after bulk changes that do not notify). */
  async reloadAll(): Promise<ServingSnapshot> {
    for (const p of ALL_PARTS) this.#dirty.add(p);
    await this.#listener.connect();
    await this.#drain();
    return this.ready();
  }

  /** Resolves when no reload is pending (tests). */
  async settled(): Promise<void> {
    while (this.#reloading) await this.#reloading;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#safetyTimer) clearInterval(this.#safetyTimer);
    this.#safetyTimer = null;
    await this.#listener.close(this.#reloading);
  }

  // ---- connection (lib/db/listen.ts reconnects) ---------------------------

  #onConnected(client: pg.Client, failedAttempts: number): void {
    this.#stats.backendPid = (client as unknown as { processID?: number }).processID ?? null;
    this.#lastConnectFailure = null;
    if (failedAttempts > 0 || this.#snapshot) this.#stats.reconnects++;
    for (const p of ALL_PARTS) this.#dirty.add(p);
    this.#startSafetyReload();
    void this.#drain();
  }

  #onConnectionLost(error?: unknown): void {
    this.#stats.backendPid = null;
    if (this.#safetyTimer) clearInterval(this.#safetyTimer);
    this.#safetyTimer = null;
    logger.warn({ err: error instanceof Error ? error.message : undefined }, "serving cache: database connection lost; serving the last snapshot and reconnecting");
  }

  #startSafetyReload(): void {
    if (this.#safetyTimer || this.#options.safetyReloadMs <= 0) return;
    this.#safetyTimer = setInterval(() => {
      for (const p of ALL_PARTS) this.#dirty.add(p);
      void this.#drain();
    }, this.#options.safetyReloadMs);
    this.#safetyTimer.unref();
  }

  #onNotification(message: pg.Notification): void {
    if (message.channel !== CHANGES_CHANNEL) return;
    this.#stats.notifications++;
    let part: Part | undefined;
    try {
      const payload = JSON.parse(message.payload ?? "") as { table?: unknown };
      part = typeof payload.table === "string" ? PART_OF_TABLE[payload.table] : undefined;
    } catch {
      part = undefined;
    }
    if (part) this.#dirty.add(part);
    else for (const p of ALL_PARTS) this.#dirty.add(p);
    void this.#drain();
  }

  // ---- loading ------------------------------------------------------------

  /** Runs the reload loop unless it already runs (the running loop picks up new dirty parts). */
  #drain(): Promise<void> {
    if (this.#reloading) return this.#reloading;
    if (this.#dirty.size === 0 || !this.#listener.client) return Promise.resolve();
    const loop: Promise<void> = this.#reloadLoop().finally(() => {
      if (this.#reloading === loop) this.#reloading = null;
    });
    this.#reloading = loop;
    loop.catch(() => undefined);
    return loop;
  }

  async #reloadLoop(): Promise<void> {
    while (this.#dirty.size > 0 && this.#listener.client) {
      const client = this.#listener.client;
      const parts = new Set(this.#dirty);
      this.#dirty.clear();
      try {
        await this.#load(client, parts);
      } catch (error) {
        for (const p of parts) this.#dirty.add(p);
        // A lost connection also emits "error"/"end" (reconnect, then a full reload).
        // A timeout (stalled server) leaves the connection busy: drop it and reconnect the same way.
        // Anything else is retried by the next notification or the safety reload.
        if (client === this.#listener.client && tripsBreaker(error)) this.#listener.drop(client, error);
        else if (client === this.#listener.client) logger.error({ err: error }, "serving cache: reload failed");
        throw error;
      }
    }
  }

  async #load(client: pg.Client, parts: Set<Part>): Promise<void> {
    const started = performance.now();
    const prev = this.#snapshot;
    // The first load (and any load without a previous snapshot) must load everything.
    const need = prev ? parts : new Set(ALL_PARTS);
    const multi = need.size > 1;
    // Several parts: one consistent database snapshot for all of them.
    if (multi) await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    let tokens = prev?.tokens;
    let environments: EnvironmentEntry[] | undefined;
    let pinRows: PinRow[] | undefined;
    let functions: FunctionEntry[] | undefined;
    try {
      if (need.has("tokens")) tokens = await loadTokens(client);
      if (need.has("environments")) environments = await loadEnvironments(client);
      if (need.has("pins")) pinRows = await loadPins(client);
      if (need.has("functions")) functions = await loadFunctions(client);
      if (multi) await client.query("COMMIT");
    } catch (error) {
      if (multi) await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    let content = prev?.content;
    if (environments || pinRows || functions) {
      const envs = environments ?? [...(prev?.content.environmentsById.values() ?? [])];
      const fns = functions ?? [...(prev?.content.functions ?? [])];
      content = {
        environmentsBySlug: environments ? new Map(envs.map((e) => [e.slug, e])) : prev!.content.environmentsBySlug,
        environmentsById: environments ? new Map(envs.map((e) => [e.id, e])) : prev!.content.environmentsById,
        pins: pinRows ? groupPins(pinRows) : prev!.content.pins,
        functions: fns,
        functionIds: functions ? new Set(fns.map((f) => f.id)) : prev!.content.functionIds,
      };
    }
    this.#snapshot = { generation: (prev?.generation ?? 0) + 1, loadedAt: Date.now(), tokens: tokens!, content: content! };
    this.#stats.reloads++;
    if (need.size === ALL_PARTS.length) this.#stats.fullReloads++;
    this.#stats.lastReloadMs = performance.now() - started;
    this.#stats.lastReloadParts = [...need];
  }
}

async function loadTokens(client: pg.Client): Promise<Map<string, TokenEntry>> {
  const { rows } = await client.query<{ id: string; token_hash: string; environment_id: string; expires_at: Date | null; revoked_at: Date | null; scopes: string[]; name: string }>(
    "SELECT id, name, token_hash, environment_id, expires_at, revoked_at, scopes FROM api_tokens",
  );
  const map = new Map<string, TokenEntry>();
  for (const r of rows) {
    map.set(r.token_hash, {
      id: r.id,
      name: r.name,
      environmentId: r.environment_id,
      expiresAt: r.expires_at ? r.expires_at.getTime() : null,
      revokedAt: r.revoked_at ? r.revoked_at.getTime() : null,
      scopes: new Set(r.scopes),
    });
  }
  return map;
}

async function loadEnvironments(client: pg.Client): Promise<EnvironmentEntry[]> {
  const { rows } = await client.query<{ id: string; slug: string; name: string; allow_caller_model_override: boolean; created_at: Date }>(
    "SELECT id, slug, name, allow_caller_model_override, created_at FROM environments",
  );
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, allowCallerModelOverride: r.allow_caller_model_override, createdAt: r.created_at }));
}

async function loadPins(client: pg.Client): Promise<PinRow[]> {
  const { rows } = await client.query<PinRow>(
    "SELECT p.environment_id, p.function_id, m.model_id, p.version, p.updated_at FROM pins p LEFT JOIN models m ON m.id = p.model_ref_id",
  );
  return rows;
}

async function loadFunctions(client: pg.Client): Promise<FunctionEntry[]> {
  // Same order as the database-backed answers (lib/pins/queries.ts: name, then id).
  const { rows } = await client.query<FunctionEntry>("SELECT id, name FROM functions ORDER BY name ASC, id ASC");
  return rows;
}

function groupPins(rows: PinRow[]): Map<string, Map<string, PinEntry>> {
  const byEnvironment = new Map<string, Map<string, PinEntry>>();
  for (const r of rows) {
    let pins = byEnvironment.get(r.environment_id);
    if (!pins) byEnvironment.set(r.environment_id, (pins = new Map()));
    pins.set(r.function_id, { modelId: r.model_id, version: r.version, updatedAt: r.updated_at });
  }
  return byEnvironment;
}

// ---- lookups (pure) --------------------------------------------------------

/** A function id as pins and functions store it (`abc` → `function_abc`; slugs unchanged). */
export function canonicalFunctionId(id: string): string {
  return ensurePrefix("function", id);
}

/** The pin of a function in an environment: null = latest (never pinned, or unpinned). */
export function lookupPin(content: ServingContent, environmentId: string, functionId: string): PinEntry | null {
  return content.pins.get(environmentId)?.get(canonicalFunctionId(functionId)) ?? null;
}

// ---- the process-wide instance --------------------------------------------

const globalForCache = globalThis as unknown as { modelpinServingCache?: ServingCache };

/** One cache per process (kept across hot reloads and shared by every route bundle). */
export function getServingCache(): ServingCache {
  globalForCache.modelpinServingCache ??= new ServingCache();
  return globalForCache.modelpinServingCache;
}

/** The snapshot, waiting for the first load only when cold (then it may throw ServingCacheUnavailableError). */
export function currentSnapshot(): ServingSnapshot | Promise<ServingSnapshot> {
  const cache = getServingCache();
  return cache.snapshot ?? cache.ready();
}

export async function closeServingCache(): Promise<void> {
  const cache = globalForCache.modelpinServingCache;
  globalForCache.modelpinServingCache = undefined;
  await cache?.close();
}
