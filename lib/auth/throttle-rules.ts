/**
 * Sign-in throttling rules (issue 13, README "Security"): pure, so the
 * database code (lib/auth/throttle.ts) and the tests share them.
 *
 * Within a 15-minute window, counted in PostgreSQL so every instance sees the same numbers:
 * - 10 failures for one account from one address ("pair") → that pair is refused for a cool-down;
 * - 50 failures from one address, any accounts ("address") → that address is refused for a cool-down;
 * - 100 failures for one account from anywhere ("account") → each further attempt waits, 1 s doubling
 *   up to 30 s, except from a browser that signed in to the account before (lib/auth/known-device.ts).
 *   No refusal here: one attacker must not lock a member out from everywhere.
 * Refused attempts are not counted (the password is not even checked); successful sign-ins never count.
 */
export const THROTTLE = {
  windowMs: 15 * 60_000,
  pairLimit: 10,
  addressLimit: 50,
  accountLimit: 100,
  cooldownMs: 15 * 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 30_000,
} as const;

export type ThrottleScope = "pair" | "address" | "account";

/** What the sign-in attempt is keyed on: the normalised email (known or not) and the client address. */
export type ThrottleKeys = { email: string; address: string };

/** One counter as read from the database, with times computed on the database clock. */
export type ThrottleCounter = {
  scope: ThrottleScope;
  failures: number;
  /** The counter's window is still open (its first failure is less than 15 minutes old). */
  inWindow: boolean;
  /** Milliseconds left of a cool-down, or null when none is running. */
  blockedMs: number | null;
};

export type ThrottleDecision =
  | { kind: "refused"; scope: "pair" | "address"; retryAfterMs: number }
  | { kind: "allowed"; delayMs: number };

export function keyFor(scope: ThrottleScope, keys: ThrottleKeys): string {
  if (scope === "pair") return `${keys.email} ${keys.address}`;
  return scope === "address" ? keys.address : keys.email;
}

export function limitFor(scope: ThrottleScope): number {
  return scope === "pair" ? THROTTLE.pairLimit : scope === "address" ? THROTTLE.addressLimit : THROTTLE.accountLimit;
}

/** The per-account delay after `failures` failures in the window: 0 below the limit, then 1 s, 2 s, 4 s … up to 30 s. */
export function accountDelayMs(failures: number): number {
  if (failures < THROTTLE.accountLimit) return 0;
  const doublings = Math.min(failures - THROTTLE.accountLimit, 10);
  return Math.min(THROTTLE.maxDelayMs, THROTTLE.firstDelayMs * 2 ** doublings);
}

/** Decides an attempt from its counters. A browser known to the account skips the per-account delay only. */
export function decideThrottle(counters: readonly ThrottleCounter[], knownDevice: boolean): ThrottleDecision {
  for (const scope of ["pair", "address"] as const) {
    const c = counters.find((x) => x.scope === scope);
    if (c?.blockedMs && c.blockedMs > 0) return { kind: "refused", scope, retryAfterMs: c.blockedMs };
  }
  const account = counters.find((x) => x.scope === "account");
  const delayMs = account?.inWindow && !knownDevice ? accountDelayMs(account.failures) : 0;
  return { kind: "allowed", delayMs };
}

/** "14 minutes", "1 minute", "45 seconds": rounded up, so the wait is never shorter than said. */
export function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** What the sign-in form says to a refused attempt. The same for known and unknown emails. */
export function refusalMessage(scope: "pair" | "address", retryAfterMs: number): string {
  const what = scope === "pair" ? "for this account from your network" : "from your network";
  return `Too many failed sign-ins ${what}. Sign-in is paused: try again in ${formatWait(retryAfterMs)}.`;
}
