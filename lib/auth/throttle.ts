import "server-only";
import { appendAuditEvent, type AuditActor } from "@/lib/audit/service";
import { prisma } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { THROTTLE, formatWait, keyFor, limitFor, type ThrottleCounter, type ThrottleKeys, type ThrottleScope } from "./throttle-rules";

/**
 * The sign-in throttle's state in PostgreSQL (table sign_in_throttle; rules in
 * ./throttle-rules.ts). An attempt reads its three counters with one SELECT; a
 * failure bumps all three with one upsert, which also starts a cool-down when a
 * counter reaches its limit. Times come from the database clock, so instances
 * with skewed clocks still agree.
 */

export const THROTTLE_ACTOR: AuditActor = { id: null, label: "system (sign-in throttle)" };

const SCOPES: readonly ThrottleScope[] = ["pair", "address", "account"];
const windowSeconds = THROTTLE.windowMs / 1000;
const cooldownSeconds = THROTTLE.cooldownMs / 1000;
/** Old rows are deleted at most this often per process, by the failure that comes after. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_STATE = Symbol.for("modelpin.signInThrottle.lastPrune");

type Row = { scope: ThrottleScope; failures: number; inWindow: boolean; blockedMs: number | null };

/** The attempt's three counters (missing ones have no failures). */
export async function readThrottle(keys: ThrottleKeys): Promise<ThrottleCounter[]> {
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT scope, failures,
           window_start > now() - make_interval(secs => ${windowSeconds}) AS "inWindow",
           CASE WHEN blocked_until > now() THEN CEIL(EXTRACT(EPOCH FROM blocked_until - now()) * 1000)::int END AS "blockedMs"
      FROM sign_in_throttle
     WHERE (scope = 'pair' AND key = ${keyFor("pair", keys)})
        OR (scope = 'address' AND key = ${keyFor("address", keys)})
        OR (scope = 'account' AND key = ${keyFor("account", keys)})`;
  return rows.map((r) => ({ ...r, failures: Number(r.failures) }));
}

export type Trip = { scope: ThrottleScope; failures: number };

/**
 * Counts one failed sign-in against its three counters (one statement) and
 * returns the counters this failure brought to their limit, for the audit.
 */
export async function recordFailure(keys: ThrottleKeys): Promise<Trip[]> {
  const [pair, address, account] = SCOPES.map((s) => keyFor(s, keys)) as [string, string, string];
  const rows = await prisma.$queryRaw<{ scope: ThrottleScope; failures: number }[]>`
    INSERT INTO sign_in_throttle AS t (scope, key, window_start, failures)
    VALUES ('pair', ${pair}, now(), 1), ('address', ${address}, now(), 1), ('account', ${account}, now(), 1)
    ON CONFLICT (scope, key) DO UPDATE SET
      window_start = CASE WHEN t.window_start <= now() - make_interval(secs => ${windowSeconds}) THEN now() ELSE t.window_start END,
      failures = CASE WHEN t.window_start <= now() - make_interval(secs => ${windowSeconds}) THEN 1 ELSE t.failures + 1 END,
      blocked_until = CASE
        WHEN t.scope IN ('pair', 'address')
         AND (CASE WHEN t.window_start <= now() - make_interval(secs => ${windowSeconds}) THEN 1 ELSE t.failures + 1 END)
             >= (CASE t.scope WHEN 'pair' THEN ${THROTTLE.pairLimit}::int ELSE ${THROTTLE.addressLimit}::int END)
        THEN now() + make_interval(secs => ${cooldownSeconds})
        ELSE t.blocked_until END
    RETURNING scope, failures`;
  await pruneNowAndThen();
  // Exactly at the limit: one trip per counter and window, however many failures race past it.
  return rows.map((r) => ({ scope: r.scope, failures: Number(r.failures) })).filter((r) => r.failures === limitFor(r.scope));
}

/** A successful sign-in forgets the failures of its own email and address (never the address's or the account's). */
export async function clearPair(keys: ThrottleKeys): Promise<void> {
  await prisma.$executeRaw`DELETE FROM sign_in_throttle WHERE scope = 'pair' AND key = ${keyFor("pair", keys)}`;
}

/** An admin's password reset unlocks the account: its per-account counter and its pairs from every address. */
export async function clearAccount(email: string): Promise<void> {
  await prisma.$executeRaw`
    DELETE FROM sign_in_throttle
     WHERE (scope = 'account' AND key = ${email}) OR (scope = 'pair' AND starts_with(key, ${`${email} `}))`;
}

/** Deletes counters whose window and cool-down are both over. */
export async function pruneThrottle(): Promise<number> {
  return prisma.$executeRaw`
    DELETE FROM sign_in_throttle
     WHERE window_start <= now() - make_interval(secs => ${windowSeconds})
       AND (blocked_until IS NULL OR blocked_until <= now())`;
}

async function pruneNowAndThen(): Promise<void> {
  const g = globalThis as typeof globalThis & { [PRUNE_STATE]?: number };
  const now = Date.now();
  if ((g[PRUNE_STATE] ?? 0) > now - PRUNE_EVERY_MS) return;
  g[PRUNE_STATE] = now;
  await pruneThrottle().catch((err: unknown) => logger.warn({ err }, "pruning the sign-in throttle failed"));
}

const RULE_TEXT: Record<ThrottleScope, string> = {
  pair: "failed sign-ins for this email from one address",
  address: "failed sign-ins from one address",
  account: "failed sign-ins for this email from anywhere",
};

/** One `auth.throttled` audit event per counter that reached its limit. */
export async function auditTrips(trips: readonly Trip[], keys: ThrottleKeys, memberId: string | null): Promise<void> {
  for (const trip of trips) {
    const refused = trip.scope !== "account";
    const outcome = refused
      ? `further attempts refused for ${formatWait(THROTTLE.cooldownMs)}, even with the right password`
      : `further attempts wait up to ${formatWait(THROTTLE.maxDelayMs)}, except from browsers that signed in to it before`;
    await prisma.$transaction((tx) =>
      appendAuditEvent(tx, {
        actor: THROTTLE_ACTOR,
        action: "auth.throttled",
        targetType: "member",
        targetId: memberId,
        after: {
          rule: trip.scope,
          email: keys.email,
          address: keys.address,
          failures: trip.failures,
          windowMinutes: THROTTLE.windowMs / 60_000,
          ...(refused ? { refusedForMinutes: THROTTLE.cooldownMs / 60_000 } : { maxDelaySeconds: THROTTLE.maxDelayMs / 1000 }),
        },
        reason: `${trip.failures} ${RULE_TEXT[trip.scope]} within ${formatWait(THROTTLE.windowMs)}: ${outcome}.`,
      }),
    );
  }
}
