import "server-only";
import { getPgPool } from "@/lib/db/pool";
import { env } from "@/lib/env";

/**
 * Job queue figures for /metrics, read straight from pg-boss's tables (one
 * cheap grouped query on its partial index of waiting jobs) and cached for a
 * few seconds, so frequent scrapes or several scrapers cost one query.
 */

export type QueueFigures = {
  queue: string;
  /** Jobs waiting to start (created or retry), whether or not their start time has come. */
  queued: number;
  /** Jobs running now. */
  active: number;
  /** Age in seconds of the oldest job that could start now but has not; 0 when none waits. */
  oldestSeconds: number;
};

const CACHE_MS = 5_000;
const QUERY_TIMEOUT_MS = 2_000;

const SQL = `
  SELECT q.name AS queue,
         count(j.id) FILTER (WHERE j.state < 'active')::int AS queued,
         count(j.id) FILTER (WHERE j.state = 'active')::int AS active,
         coalesce(extract(epoch FROM now() - min(j.created_on) FILTER (WHERE j.state < 'active' AND j.start_after <= now())), 0)::float8 AS oldest
    FROM pgboss.queue q
    LEFT JOIN pgboss.job j ON j.name = q.name AND j.state <= 'active'
   GROUP BY q.name
   ORDER BY q.name`;

type Row = { queue: string; queued: number; active: number; oldest: number };

let cached: { at: number; figures: QueueFigures[] } | null = null;
let pending: Promise<QueueFigures[]> | null = null;

async function query(): Promise<QueueFigures[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`job queue figures took over ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([getPgPool().query<Row>(SQL), timeout]);
    return result.rows.map((r) => ({ queue: r.queue, queued: r.queued, active: r.active, oldestSeconds: Math.max(0, r.oldest) }));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The job queues now (at most CACHE_MS old). Empty when there is no database
 * or pg-boss has never started on it; the last figures when the query fails.
 */
export async function jobQueueFigures(now = Date.now()): Promise<QueueFigures[]> {
  if (!env().DATABASE_URL) return [];
  if (cached && now - cached.at < CACHE_MS) return cached.figures;
  pending ??= query()
    .then((figures) => {
      cached = { at: Date.now(), figures };
      return figures;
    })
    .catch(() => cached?.figures ?? [])
    .finally(() => {
      pending = null;
    });
  return pending;
}

/** For tests: forget the cached figures. */
export function resetJobQueueFiguresForTests(): void {
  cached = null;
}
