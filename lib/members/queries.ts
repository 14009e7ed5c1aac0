import "server-only";
import { prisma } from "@/lib/db/client";
import { env } from "@/lib/env";
import { isRole, type RoleName } from "@/lib/auth/permissions";

export type MemberRow = {
  id: string;
  email: string;
  name: string;
  role: RoleName;
  active: boolean;
  sso: boolean;
  /** Has a Modelpin password (members who only use SSO have none, and no one-time password can be set for them). */
  hasPassword: boolean;
  /** The ID-token claim that sets this member's role at every sign-in (OIDC_ROLES_CLAIM), or null when admins set it here. */
  roleClaim: string | null;
  lastSignInAt: Date | null;
  createdAt: Date;
};

export type SignedInMember = {
  id: string;
  email: string;
  name: string;
  role: RoleName;
  active: true;
  /** An admin set a one-time password: pages send the member to /account until they choose their own. */
  mustChangePassword: boolean;
  /** This session's id (lib/session/auth.ts). */
  sessionId: string;
};

const UUID = /^[0-9a-f-]{36}$/i;

/**
 * The member of a session: active, and the session issued under their current
 * epoch, or the one session that changed its own password since (kept by its id).
 * A password change or reset replaces the epoch, which ends every other session.
 */
export async function getActiveUserById(id: string, session: { epoch: string; sid: string }): Promise<SignedInMember | null> {
  if (!UUID.test(id) || !UUID.test(session.epoch) || !UUID.test(session.sid)) return null;
  const u = await prisma.user.findUnique({
    where: { id },
    select: { id: true, email: true, name: true, role: true, active: true, sessionEpoch: true, keptSessionId: true, mustChangePassword: true },
  });
  if (!u || !u.active || !isRole(u.role)) return null;
  if (u.sessionEpoch !== session.epoch && u.keptSessionId !== session.sid) return null;
  return { id: u.id, email: u.email, name: u.name, role: u.role, active: true as const, mustChangePassword: u.mustChangePassword, sessionId: session.sid };
}

/** What the account page shows about the member's own sign-in. */
export async function getAccount(id: string) {
  const u = await prisma.user.findUnique({
    where: { id },
    select: { email: true, name: true, passwordHash: true, oidcSubject: true, mustChangePassword: true },
  });
  if (!u) return null;
  return { email: u.email, name: u.name, hasPassword: u.passwordHash !== null, sso: u.oidcSubject !== null, mustChangePassword: u.mustChangePassword };
}

export async function listMembers(): Promise<MemberRow[]> {
  const rows = await prisma.user.findMany({
    orderBy: [{ active: "desc" }, { name: "asc" }],
    select: { id: true, email: true, name: true, role: true, active: true, oidcSubject: true, passwordHash: true, lastSignInAt: true, createdAt: true },
  });
  const claim = env().sso.rolesClaim;
  return rows.map(({ oidcSubject, passwordHash, ...r }) => ({
    ...r,
    sso: oidcSubject !== null,
    hasPassword: passwordHash !== null,
    roleClaim: oidcSubject !== null ? claim : null,
  }));
}

/** The member an SSO identity signed in as (lib/members/sso.ts links or creates it first), with the epoch its session starts under. */
export async function getMemberSessionBySubject(subject: string): Promise<{ id: string; sessionEpoch: string } | null> {
  return prisma.user.findUnique({ where: { oidcSubject: subject }, select: { id: true, sessionEpoch: true } });
}
