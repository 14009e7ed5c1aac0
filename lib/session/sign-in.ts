import "server-only";
import { setTimeout as sleep } from "node:timers/promises";
import { env } from "@/lib/env";
import { findSignInCandidate, verifyCandidatePassword, type PasswordCheck } from "@/lib/members/service";
import { verifyPassword } from "@/lib/auth/password";
import { deviceKey, isKnownDevice, rememberDevice } from "@/lib/auth/known-device";
import { auditTrips, clearPair, readThrottle, recordFailure } from "@/lib/auth/throttle";
import { decideThrottle, refusalMessage, type ThrottleKeys } from "@/lib/auth/throttle-rules";

export type PasswordSignInInput = {
  email: string;
  password: string;
  /** The client address (lib/auth/client-address.ts). */
  address: string;
  /** The browser's known-device cookie, if any. */
  deviceCookie?: string | null;
};

export type PasswordSignInResult =
  | { status: "ok"; user: { id: string; email: string; name: string; sessionEpoch: string }; deviceCookie: string }
  | { status: "wrong" }
  | { status: "deactivated" }
  | { status: "throttled"; message: string; retryAfterMs: number };

/** Seams for tests: the wait and the bcrypt comparison. */
export type SignInDeps = { wait: (ms: number) => Promise<unknown>; check: PasswordCheck; authSecret: string };

function defaultDeps(): SignInDeps {
  return { wait: (ms) => sleep(ms), check: verifyPassword, authSecret: env().AUTH_SECRET };
}

/**
 * One email-and-password sign-in, throttled (rules: ./throttle-rules.ts):
 * read the counters → refuse a paused pair or address before any password
 * check → wait out the per-account delay (not for known browsers) → one bcrypt
 * comparison, against DUMMY_HASH for unknown emails → count a failure, or
 * forget this pair's failures and renew the known-device cookie on success.
 */
export async function signInWithPassword(input: PasswordSignInInput, deps: SignInDeps = defaultDeps()): Promise<PasswordSignInResult> {
  const keys: ThrottleKeys = { email: input.email.trim().toLowerCase(), address: input.address };
  const [counters, candidate] = await Promise.all([readThrottle(keys), findSignInCandidate(keys.email)]);
  const key = deviceKey(deps.authSecret);
  const known = candidate !== null && isKnownDevice(input.deviceCookie, candidate, key);
  const decision = decideThrottle(counters, known);
  if (decision.kind === "refused") {
    return { status: "throttled", retryAfterMs: decision.retryAfterMs, message: refusalMessage(decision.scope, decision.retryAfterMs) };
  }
  if (decision.delayMs > 0) await deps.wait(decision.delayMs);

  const result = await verifyCandidatePassword(candidate, input.password, deps.check);
  if (result.status === "wrong") {
    const trips = await recordFailure(keys);
    if (trips.length > 0) await auditTrips(trips, keys, candidate?.id ?? null);
    return result;
  }
  if (result.status === "deactivated") return result;
  if (counters.some((c) => c.scope === "pair" && c.failures > 0)) await clearPair(keys);
  const { id, email, name, sessionEpoch } = result.user;
  return { status: "ok", user: { id, email, name, sessionEpoch }, deviceCookie: rememberDevice(input.deviceCookie, result.user, key) };
}
