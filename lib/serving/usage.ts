import "server-only";
import type pg from "pg";
import { getPgPool } from "@/lib/db/pool";
import { logger } from "@/lib/logger";
import { flushOnSignals } from "@/lib/shutdown";

/**
 * Last-used times of tokens and the proxy's conformance counters, accumulated
 * in memory on the hot path (no database call) and written in batches: every
 * `flushIntervalMs` (5 s) and at shutdown (SIGTERM/SIGINT), as UPSERT
 * increments, so any number of instances can add to the same rows.
 *
 * A failed flush (database down) keeps what it took and merges it back, to be
 * written by the next flush. What is still in memory when a process is killed
 * hard (SIGKILL) is lost: at most one interval of counts.
 */

export type CallRecord = {
  tokenId: string;
  environmentId: string;
  /** As stored (function_ prefix). */
  functionId: string;
  /** The served model id, or "latest". */
  modelId: string;
  /** Answered with a status >= 400. */
  error: boolean;
  /** A 429: Modelpin's own (no permit from the Nyckel budget) or Nyckel's. Counted in error too. */
  refusal?: "budget" | "nyckel429";
  at?: number;
};

type Counter = {
  tokenId: string;
  environmentId: string;
  functionId: string;
  modelId: string;
  calls: number;
  errorCalls: number;
  budgetRefusedCalls: number;
  nyckel429Calls: number;
  firstAt: number;
  lastAt: number;
};

type Queryable = Pick<pg.Pool, "query">;

export type UsageRecorderOptions = {
  flushIntervalMs?: number;
  /** Default: the process's small pg pool (lib/db/pool.ts). */
  db?: () => Queryable;
  /** Register SIGTERM/SIGINT/beforeExit flushes (the process-wide recorder does). */
  flushOnShutdown?: boolean;
};

// A batch the database refuses for good — integrity (23…, e.g. a foreign key) or
// data (22…, e.g. a NUL byte in a text value) — is dropped, not retried forever:
// one such row must not keep every later flush from being written.
const INTEGRITY_ERROR = /^2[23]/;

export class UsageRecorder {
  readonly #flushIntervalMs: number;
  readonly #db: () => Queryable;
  readonly #flushOnShutdown: boolean;
  #lastUsed = new Map<string, number>();
  #counters = new Map<string, Counter>();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #shutdownHooked = false;

  constructor(options: UsageRecorderOptions = {}) {
    this.#flushIntervalMs = options.flushIntervalMs ?? 5_000;
    this.#db = options.db ?? getPgPool;
    this.#flushOnShutdown = options.flushOnShutdown ?? false;
  }

  recordTokenUse(tokenId: string, at: number = Date.now()): void {
    const prev = this.#lastUsed.get(tokenId);
    if (prev === undefined || at > prev) this.#lastUsed.set(tokenId, at);
    this.#arm();
  }

  recordCall(call: CallRecord): void {
    const at = call.at ?? Date.now();
    const key = `${call.tokenId}\u0000${call.functionId}\u0000${call.modelId}`;
    let c = this.#counters.get(key);
    if (!c) {
      c = { tokenId: call.tokenId, environmentId: call.environmentId, functionId: call.functionId, modelId: call.modelId, calls: 0, errorCalls: 0, budgetRefusedCalls: 0, nyckel429Calls: 0, firstAt: at, lastAt: at };
      this.#counters.set(key, c);
    }
    c.calls++;
    if (call.error) c.errorCalls++;
    if (call.refusal === "budget") c.budgetRefusedCalls++;
    if (call.refusal === "nyckel429") c.nyckel429Calls++;
    if (at < c.firstAt) c.firstAt = at;
    if (at > c.lastAt) c.lastAt = at;
    this.#arm();
  }

  /** What is waiting to be written (tests, diagnostics). */
  pending(): { tokens: number; counters: number; calls: number } {
    let calls = 0;
    for (const c of this.#counters.values()) calls += c.calls;
    return { tokens: this.#lastUsed.size, counters: this.#counters.size, calls };
  }

  /** Writes everything accumulated so far. Concurrent calls share one flush, then run another. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => undefined);
    if (this.#lastUsed.size === 0 && this.#counters.size === 0) return;
    const run = this.#write().finally(() => {
      if (this.#flushing === run) this.#flushing = null;
    });
    this.#flushing = run;
    return run;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (!this.#timer) {
      this.#timer = setInterval(() => {
        this.flush().catch(() => undefined);
      }, this.#flushIntervalMs);
      this.#timer.unref();
    }
    if (this.#flushOnShutdown && !this.#shutdownHooked) {
      this.#shutdownHooked = true;
      hookShutdown(() => this.flush());
    }
  }

  async #write(): Promise<void> {
    const lastUsed = this.#lastUsed;
    const counters = this.#counters;
    this.#lastUsed = new Map();
    this.#counters = new Map();
    const db = this.#db();
    try {
      if (counters.size > 0) {
        const list = [...counters.values()];
        await db.query(
          `INSERT INTO proxy_usage (token_id, function_id, model_id, environment_id, calls, error_calls, first_at, last_at, budget_refused_calls, nyckel_429_calls)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bigint[], $6::bigint[], $7::timestamptz[], $8::timestamptz[], $9::bigint[], $10::bigint[])
           ON CONFLICT (token_id, function_id, model_id) DO UPDATE SET
             calls = proxy_usage.calls + EXCLUDED.calls,
             error_calls = proxy_usage.error_calls + EXCLUDED.error_calls,
             budget_refused_calls = proxy_usage.budget_refused_calls + EXCLUDED.budget_refused_calls,
             nyckel_429_calls = proxy_usage.nyckel_429_calls + EXCLUDED.nyckel_429_calls,
             first_at = LEAST(proxy_usage.first_at, EXCLUDED.first_at),
             last_at = GREATEST(proxy_usage.last_at, EXCLUDED.last_at)`,
          [
            list.map((c) => c.tokenId),
            list.map((c) => c.functionId),
            list.map((c) => c.modelId),
            list.map((c) => c.environmentId),
            list.map((c) => c.calls),
            list.map((c) => c.errorCalls),
            list.map((c) => new Date(c.firstAt)),
            list.map((c) => new Date(c.lastAt)),
            list.map((c) => c.budgetRefusedCalls),
            list.map((c) => c.nyckel429Calls),
          ],
        );
        counters.clear();
      }
      if (lastUsed.size > 0) {
        const ids = [...lastUsed.keys()];
        // Touches last_used_at only: the api_tokens NOTIFY trigger ignores it (no cache reload).
        await db.query(
          `UPDATE api_tokens AS t SET last_used_at = GREATEST(COALESCE(t.last_used_at, v.at), v.at)
           FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at) WHERE t.id = v.id`,
          [ids, ids.map((id) => new Date(lastUsed.get(id)!))],
        );
        lastUsed.clear();
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && INTEGRITY_ERROR.test(code)) {
        logger.error({ err: error, counters: counters.size, tokens: lastUsed.size }, "serving usage: the database refused a batch; dropping it");
        return;
      }
      this.#mergeBack(lastUsed, counters);
      logger.warn({ err: error instanceof Error ? error.message : error }, "serving usage: flush failed; keeping the counts for the next flush");
      throw error;
    }
  }

  #mergeBack(lastUsed: Map<string, number>, counters: Map<string, Counter>): void {
    for (const [id, at] of lastUsed) {
      const now = this.#lastUsed.get(id);
      if (now === undefined || at > now) this.#lastUsed.set(id, at);
    }
    for (const [key, c] of counters) {
      const now = this.#counters.get(key);
      if (!now) this.#counters.set(key, c);
      else {
        now.calls += c.calls;
        now.errorCalls += c.errorCalls;
        now.budgetRefusedCalls += c.budgetRefusedCalls;
        now.nyckel429Calls += c.nyckel429Calls;
        now.firstAt = Math.min(now.firstAt, c.firstAt);
        now.lastAt = Math.max(now.lastAt, c.lastAt);
      }
    }
  }
}

/** Flush at shutdown (lib/shutdown.ts) and when the event loop runs dry. */
function hookShutdown(flush: () => Promise<void>): void {
  flushOnSignals(flush);
  process.once("beforeExit", () => {
    void flush().catch(() => undefined);
  });
}

const globalForUsage = globalThis as unknown as { modelpinUsageRecorder?: UsageRecorder };

export function getUsageRecorder(): UsageRecorder {
  globalForUsage.modelpinUsageRecorder ??= new UsageRecorder({ flushOnShutdown: true });
  return globalForUsage.modelpinUsageRecorder;
}

/** Writes the process's pending last-used times and counters now (tests, scripts). */
export async function flushServingUsage(): Promise<void> {
  await globalForUsage.modelpinUsageRecorder?.flush();
}
