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
  /** The ID-token claim that sets this member's role at every sign-in (OIDC_ROLES_CLAIM), or null when admins set it here. */
  roleClaim: string | null;
  lastSignInAt: Date | null;
  createdAt: Date;
};

export async function getActiveUserById(id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const u = await prisma.user.findUnique({ where: { id }, select: { id: true, email: true, name: true, role: true, active: true } });
  if (!u || !u.active || !isRole(u.role)) return null;
  return { id: u.id, email: u.email, name: u.name, role: u.role, active: true as const };
}

export async function listMembers(): Promise<MemberRow[]> {
  const rows = await prisma.user.findMany({
    orderBy: [{ active: "desc" }, { name: "asc" }],
    select: { id: true, email: true, name: true, role: true, active: true, oidcSubject: true, lastSignInAt: true, createdAt: true },
  });
  const claim = env().sso.rolesClaim;
  return rows.map(({ oidcSubject, ...r }) => ({ ...r, sso: oidcSubject !== null, roleClaim: oidcSubject !== null ? claim : null }));
}

/** The member an SSO identity signed in as (lib/members/sso.ts links or creates it first). */
export async function getMemberIdBySubject(subject: string): Promise<string | null> {
  const u = await prisma.user.findUnique({ where: { oidcSubject: subject }, select: { id: true } });
  return u?.id ?? null;
}
