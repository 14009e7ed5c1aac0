/**
 * The emulator's enforcement of Nyckel's documented limits (25 requests per second,
 * 25 concurrent), as a strict sliding log:
 *
 * - Rate: a request arriving at time t is rejected with 429 when `perSecond` requests
 *   were already ADMITTED in the half-open window (t − 1000 ms, t]. Rejected requests
 *   are not recorded, so a client that backs off is not locked out by its own 429s.
 * - Concurrency: a request is rejected with 429 when `concurrency` admitted requests
 *   are still in flight (from arrival until the response is finished or the
 *   connection closes).
 *
 * Arrival = the moment node:http hands the request to the emulator (headers parsed).
 * The window is per emulator instance (i.e. per account), over every Nyckel API path
 * including /connect/token; the /_emulator control endpoints are not limited.
 */

export interface EmulatorRateLimit {
  perSecond: number;
  concurrency: number;
}

export type AdmitResult =
  | { ok: true; release: () => void }
  | { ok: false; reason: "rate" | "concurrency"; message: string };

const WINDOW_MS = 1000;

export class SlidingWindowLimit {
  private limits: EmulatorRateLimit | false;
  /** Arrival times of admitted requests in the last second, ascending. */
  private arrivals: number[] = [];
  private active = 0;
  /** Observed maxima since the last reset (measured even when limits are off). */
  maxInFlight = 0;
  maxStartsInWindow = 0;

  constructor(limits: EmulatorRateLimit | false, private readonly now: () => number = () => performance.now()) {
    this.limits = limits;
  }

  get config(): EmulatorRateLimit | false {
    return this.limits;
  }

  get inFlight(): number {
    return this.active;
  }

  setLimits(limits: EmulatorRateLimit | false): void {
    this.limits = limits;
  }

  resetStats(): void {
    this.maxInFlight = this.active;
    this.maxStartsInWindow = 0;
  }

  tryAdmit(): AdmitResult {
    const now = this.now();
    let drop = 0;
    while (drop < this.arrivals.length && now - (this.arrivals[drop] as number) >= WINDOW_MS) drop++;
    if (drop > 0) this.arrivals.splice(0, drop);

    if (this.limits) {
      if (this.arrivals.length >= this.limits.perSecond) {
        return {
          ok: false,
          reason: "rate",
          message: `Rate limit exceeded: more than ${this.limits.perSecond} requests per second`,
        };
      }
      if (this.active >= this.limits.concurrency) {
        return {
          ok: false,
          reason: "concurrency",
          message: `Concurrency limit exceeded: more than ${this.limits.concurrency} concurrent requests`,
        };
      }
    }
    this.arrivals.push(now);
    this.active++;
    this.maxInFlight = Math.max(this.maxInFlight, this.active);
    this.maxStartsInWindow = Math.max(this.maxStartsInWindow, this.arrivals.length);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
      },
    };
  }
}
