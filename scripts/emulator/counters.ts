/**
 * The emulator's counters (GET /_emulator/counters): requests by route, path and
 * status, invokes by function and model id, limits hit and faults injected.
 */
export interface EmulatorCounters {
  /** Nyckel API requests (everything except /_emulator). */
  requests: number;
  byRoute: Record<string, number>;
  byPath: Record<string, number>;
  byStatus: Record<string, number>;
  invokes: number;
  invokesByFunction: Record<
    string,
    { total: number; byModelIdReceived: Record<string, number>; byModelIdUsed: Record<string, number> }
  >;
  /** 429s emitted by the rate / concurrency limit (not by fault injection). */
  rateLimited: { total: number; rate: number; concurrency: number };
  injected: { latency: number; status429: number; status500: number; status503: number; otherStatus: number; hang: number };
  tokensIssued: number;
  tokenRequestsRejected: number;
  unauthorized: number;
  maxInFlight: number;
  maxStartsInWindow: number;
}

export function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** The live counters of one emulator (EmulatorState keeps one and resets it with the invoke log). */
export function emptyCounters() {
  return {
    requests: 0,
    byRoute: new Map<string, number>(),
    byPath: new Map<string, number>(),
    byStatus: new Map<string, number>(),
    invokes: 0,
    invokesByFunction: new Map<string, { total: number; received: Map<string, number>; used: Map<string, number> }>(),
    rateLimited: { total: 0, rate: 0, concurrency: 0 },
    injected: { latency: 0, status429: 0, status500: 0, status503: 0, otherStatus: 0, hang: 0 },
    tokensIssued: 0,
    tokenRequestsRejected: 0,
    unauthorized: 0,
  };
}

export type LiveCounters = ReturnType<typeof emptyCounters>;

/** A plain copy of the counters, with the rate limit's high-water marks. */
export function snapshotCounters(c: LiveCounters, limit: { maxInFlight: number; maxStartsInWindow: number }): EmulatorCounters {
  return {
    requests: c.requests,
    byRoute: Object.fromEntries(c.byRoute),
    byPath: Object.fromEntries(c.byPath),
    byStatus: Object.fromEntries(c.byStatus),
    invokes: c.invokes,
    invokesByFunction: Object.fromEntries(
      [...c.invokesByFunction].map(([id, v]) => [
        id,
        { total: v.total, byModelIdReceived: Object.fromEntries(v.received), byModelIdUsed: Object.fromEntries(v.used) },
      ]),
    ),
    rateLimited: { ...c.rateLimited },
    injected: { ...c.injected },
    tokensIssued: c.tokensIssued,
    tokenRequestsRejected: c.tokenRequestsRejected,
    unauthorized: c.unauthorized,
    maxInFlight: limit.maxInFlight,
    maxStartsInWindow: limit.maxStartsInWindow,
  };
}
