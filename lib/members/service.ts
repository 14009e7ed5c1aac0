import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { DUMMY_HASH, hashPassword, verifyPassword } from "@/lib/auth/password";
import type { RoleName } from "@/lib/auth/permissions";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { env } from "@/lib/env";
import { ConflictError, NotFoundError, isUniqueViolation } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { changeRoleSchema, createMemberSchema, setActiveSchema, type CreateMemberInput } from "./schemas";

/** Serializes changes that could remove the last admin. */
const MEMBERS_LOCK = 7_316_002;

const publicFields = { id: true, email: true, name: true, role: true, active: true } as const;

export type AuthResult =
  | { status: "ok"; user: { id: string; email: string; name: string; role: RoleName; sessionEpoch: string } }
  | { status: "wrong" }
  | { status: "deactivated" };

/** A member as a password sign-in needs it, found by email (null for unknown emails). */
export type SignInCandidate = {
  id: string;
  email: string;
  name: string;
  role: RoleName;
  active: boolean;
  passwordHash: string | null;
  sessionEpoch: string;
};

export type PasswordCheck = (password: string, hash: string) => Promise<boolean>;

export async function findSignInCandidate(email: string): Promise<SignInCandidate | null> {
  return prisma.user.findUnique({
    where: { email: email.trim().toLowerCase() },
    select: { id: true, email: true, name: true, role: true, active: true, passwordHash: true, sessionEpoch: true },
  });
}

/**
 * Checks a password against a candidate; records the sign-in time on success.
 * Unknown emails and members without a password (SSO only) are compared
 * against DUMMY_HASH, so every answer costs one bcrypt comparison.
 */
export async function verifyCandidatePassword(
  user: SignInCandidate | null,
  password: string,
  check: PasswordCheck = verifyPassword,
): Promise<AuthResult> {
  const ok = await check(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !user.passwordHash || !ok) return { status: "wrong" };
  if (!user.active) return { status: "deactivated" };
  await prisma.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
  return { status: "ok", user: { id: user.id, email: user.email, name: user.name, role: user.role, sessionEpoch: user.sessionEpoch } };
}

/** Checks an email and password; records the sign-in time on success. */
export async function authenticateWithPassword(email: string, password: string, check: PasswordCheck = verifyPassword): Promise<AuthResult> {
  return verifyCandidatePassword(await findSignInCandidate(email), password, check);
}

export async function createMember(ctx: ServiceContext, raw: CreateMemberInput) {
  authorize(ctx, "members:manage");
  const input = parseInput(createMemberSchema, raw);
  const passwordHash = await hashPassword(input.password);
  try {
    return await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: input.email, name: input.name, role: input.role, passwordHash },
        select: publicFields,
      });
      await appendAuditEventBy(tx, ctx, {
        action: "member.created",
        targetType: "member",
        targetId: user.id,
        after: { email: user.email, name: user.name, role: user.role },
      });
      return user;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError(`A member with the email ${input.email} already exists.`, { email: ["This email is already a member."] });
    throw e;
  }
}

/** Serializes, until the transaction ends, every change that could remove the last admin. */
export async function lockMembers(tx: Tx) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${MEMBERS_LOCK}::bigint)`;
}

/** Active admins other than this member. */
export function otherActiveAdmins(tx: Tx, userId: string) {
  return tx.user.count({ where: { role: "admin", active: true, id: { not: userId } } });
}

async function lockedTarget(tx: Tx, userId: string) {
  await lockMembers(tx);
  const user = await tx.user.findUnique({ where: { id: userId }, select: publicFields });
  if (!user) throw new NotFoundError("That member does not exist.");
  return user;
}

async function assertNotLastAdmin(tx: Tx, userId: string, what: string) {
  if ((await otherActiveAdmins(tx, userId)) === 0) throw new ConflictError(`You cannot ${what} the last active admin. Make another member an admin first.`);
}

type MemberFields = { id: string; name: string; role: RoleName; active: boolean };

/**
 * Sets a member's role or active flag: under the members lock, nothing when it is
 * already so, else `guard` may refuse, and the change is audited as `action` with
 * the field's value before and after.
 */
async function changeMember<F extends "role" | "active">(
  ctx: ServiceContext,
  userId: string,
  field: F,
  value: MemberFields[F],
  action: "member.role_changed" | "member.reactivated" | "member.deactivated",
  guard: (tx: Tx, user: MemberFields) => Promise<void>,
) {
  return prisma.$transaction(async (tx) => {
    const user = await lockedTarget(tx, userId);
    if (user[field] === value) return user;
    await guard(tx, user);
    const updated = await tx.user.update({ where: { id: user.id }, data: { [field]: value }, select: publicFields });
    await appendAuditEventBy(tx, ctx, { action, targetType: "member", targetId: user.id, before: { [field]: user[field] }, after: { [field]: updated[field] } });
    return updated;
  });
}

export async function changeMemberRole(ctx: ServiceContext, raw: { userId: string; role: RoleName }) {
  authorize(ctx, "members:manage");
  const input = parseInput(changeRoleSchema, raw);
  return changeMember(ctx, input.userId, "role", input.role, "member.role_changed", async (tx, user) => {
    const claim = env().sso.rolesClaim;
    if (claim && (await tx.user.count({ where: { id: user.id, oidcSubject: { not: null } } })) > 0) {
      throw new ConflictError(
        `${user.name}'s role comes from the identity provider's "${claim}" claim at every sign-in (OIDC_ROLES_CLAIM). Change their groups there.`,
      );
    }
    if (user.role === "admin" && user.active) await assertNotLastAdmin(tx, user.id, "change the role of");
  });
}

export async function setMemberActive(ctx: ServiceContext, raw: { userId: string; active: boolean }) {
  authorize(ctx, "members:manage");
  const input = parseInput(setActiveSchema, raw);
  return changeMember(ctx, input.userId, "active", input.active, input.active ? "member.reactivated" : "member.deactivated", async (tx, user) => {
    if (!input.active && user.role === "admin") await assertNotLastAdmin(tx, user.id, "deactivate");
  });
}
