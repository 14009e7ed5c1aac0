import "server-only";
import { randomUUID } from "node:crypto";
import { appendAuditEventBy } from "@/lib/audit/service";
import { generateOneTimePassword, hashPassword, verifyPassword } from "@/lib/auth/password";
import { auditTrips, clearAccount, readThrottle, recordFailure } from "@/lib/auth/throttle";
import { decideThrottle, refusalMessage } from "@/lib/auth/throttle-rules";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError, InvalidInputError, NotFoundError, UnauthorizedError } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { changePasswordSchema, oneTimePasswordSchema, type ChangePasswordInput } from "./schemas";
import type { PasswordCheck } from "./service";

/**
 * Password changes (the account page) and one-time passwords (admins, on the
 * Members page). Both replace the member's session epoch, which ends every
 * session issued under the old one (lib/session/current.ts); a member's own change
 * keeps the session that made it (by its session id).
 */

export const SSO_ONLY_MESSAGE =
  "You sign in with single sign-on and have no Modelpin password. Change your password at your identity provider.";

/** The signed-in member changes their own password; the current one is checked (and throttled like a sign-in). */
export async function changeOwnPassword(
  ctx: ServiceContext,
  raw: ChangePasswordInput,
  /** `address`: the client address, or how to get it (read only when a password is actually checked). */
  options: { address: string | (() => Promise<string>); sessionId?: string; check?: PasswordCheck },
): Promise<{ sessionEpoch: string }> {
  const input = parseInput(changePasswordSchema, raw);
  const userId = ctx.actor.id;
  const user = userId
    ? await prisma.user.findUnique({ where: { id: userId }, select: { id: true, email: true, passwordHash: true, active: true } })
    : null;
  if (!user || !user.active) throw new UnauthorizedError("Your session has ended. Sign in again.");
  if (!user.passwordHash) throw new ConflictError(SSO_ONLY_MESSAGE);

  // The current password is a password guess too: a stolen session must not get unlimited tries at it.
  const keys = { email: user.email, address: typeof options.address === "string" ? options.address : await options.address() };
  const decision = decideThrottle(await readThrottle(keys), true);
  if (decision.kind === "refused") throw new ConflictError(refusalMessage(decision.scope, decision.retryAfterMs));
  if (!(await (options.check ?? verifyPassword)(input.currentPassword, user.passwordHash))) {
    const trips = await recordFailure(keys);
    if (trips.length > 0) await auditTrips(trips, keys, user.id);
    throw new InvalidInputError("Your current password is not right.", { currentPassword: ["This is not your current password."] });
  }
  if (input.newPassword === input.currentPassword) {
    throw new InvalidInputError("Choose a new password.", { newPassword: ["The new password is the same as the current one."] });
  }

  const passwordHash = await hashPassword(input.newPassword);
  const sessionEpoch = randomUUID();
  await prisma.$transaction(async (tx) => {
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash, sessionEpoch, keptSessionId: options.sessionId ?? null, mustChangePassword: false },
    });
    await appendAuditEventBy(tx, ctx, {
      action: "member.password_changed",
      targetType: "member",
      targetId: user.id,
      after: { otherSessionsEnded: true },
    });
  });
  return { sessionEpoch };
}

/**
 * An admin gives a member a generated one-time password (shown once to the
 * admin, stored only as a hash): the member's sessions end, and after signing
 * in with it they are sent to the account page until they choose their own.
 */
export async function setOneTimePassword(ctx: ServiceContext, raw: { userId: string }): Promise<{ id: string; email: string; password: string }> {
  authorize(ctx, "members:manage");
  const input = parseInput(oneTimePasswordSchema, raw);
  if (input.userId === ctx.actor.id) throw new ConflictError("Change your own password on your account page.");
  const password = generateOneTimePassword();
  const passwordHash = await hashPassword(password);
  const user = await prisma.$transaction(async (tx) => {
    const target = await tx.user.findUnique({ where: { id: input.userId }, select: { id: true, name: true, email: true, passwordHash: true } });
    if (!target) throw new NotFoundError("That member does not exist.");
    if (!target.passwordHash) {
      throw new ConflictError(`${target.name} signs in with single sign-on and has no Modelpin password to reset.`);
    }
    await tx.user.update({ where: { id: target.id }, data: { passwordHash, mustChangePassword: true, sessionEpoch: randomUUID(), keptSessionId: null } });
    await appendAuditEventBy(tx, ctx, {
      action: "member.password_reset",
      targetType: "member",
      targetId: target.id,
      after: { oneTimePassword: true, mustChangePassword: true, otherSessionsEnded: true },
    });
    return target;
  });
  await clearAccount(user.email);
  return { id: user.id, email: user.email, password };
}
