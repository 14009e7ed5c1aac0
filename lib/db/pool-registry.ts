/**
 * Which database pools this process holds, for readers that report on them
 * (/metrics): the seam between lib/db (and pg-boss) and lib/metrics.
 *
 * Each pool registers once under a stable name ("prisma", "pg", "jobs", …);
 * a reader asks `databasePools()` for their sizes now. A pool that is closed
 * unregisters itself (or is replaced by the next one of its name).
 */
export interface PoolCounts {
  /** Connections open (idle + in use). */
  totalCount: number;
  /** Connections open and idle. */
  idleCount: number;
  /** Queries waiting for a connection. */
  waitingCount: number;
}

export interface PoolReport extends PoolCounts {
  name: string;
  /** The pool's configured maximum. */
  max: number;
}

type Entry = { max: number; counts: () => PoolCounts };
const key = Symbol.for("modelpin.db.pools");
const holder = globalThis as unknown as { [key]?: Map<string, Entry> };

function registry(): Map<string, Entry> {
  holder[key] ??= new Map();
  return holder[key];
}

/** Called where a pool is created: `trackPool("pg", pool.options.max ?? 10, () => pool)`. */
export function trackPool(name: string, max: number, counts: () => PoolCounts): void {
  registry().set(name, { max, counts });
}

export function untrackPool(name: string): void {
  registry().delete(name);
}

/** The registered pools' sizes now; a pool whose counts throw is skipped. */
export function databasePools(): PoolReport[] {
  const out: PoolReport[] = [];
  for (const [name, entry] of registry()) {
    try {
      const c = entry.counts();
      out.push({ name, max: entry.max, totalCount: c.totalCount, idleCount: c.idleCount, waitingCount: c.waitingCount });
    } catch {
      // a pool being torn down
    }
  }
  return out;
}
