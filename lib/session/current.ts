import "server-only";
import { cache } from "react";
import { forbidden, redirect } from "next/navigation";
import { auth } from "@/lib/session/auth";
import { can, type Permission, type RoleName } from "@/lib/auth/permissions";
import { getActiveUserById, type SignedInMember } from "@/lib/members/queries";

/*
 * lib/session/ is the session layer, above the domains: Auth.js (auth.ts), the
 * sign-in flow (sign-in.ts), this request's member (this file) and the account's
 * own actions. It imports members; lib/auth/ below it holds the leaf modules
 * (permissions, password rules and hashing, throttling, known devices, SSO
 * config) that members and every other domain may import.
 */

export type SessionUser = { id: string; email: string; name: string; role: RoleName; active: true };

/**
 * The member of this request's session, or null: the session must carry the
 * member's current epoch, or be the one that changed its own password (a
 * password change or reset ends the others), and the member must be active. Reads the database once per request. Includes members
 * who still have to replace a one-time password; only the account page serves them.
 */
export const getSignedInMember = cache(async (): Promise<SignedInMember | null> => {
  const session = await auth();
  const id = session?.user?.id;
  const epoch = session?.epoch;
  const sid = session?.sid;
  if (!id || !epoch || !sid) return null;
  return getActiveUserById(id, { epoch, sid });
});

function toSessionUser(m: SignedInMember): SessionUser {
  return { id: m.id, email: m.email, name: m.name, role: m.role, active: true };
}

/** The signed-in, active user of this request, or null (also while they must replace a one-time password). */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const member = await getSignedInMember();
  return member && !member.mustChangePassword ? toSessionUser(member) : null;
});

/** For pages: the signed-in user; otherwise the sign-in page, or the account page while a one-time password is pending. */
export async function requireUser(): Promise<SessionUser> {
  const member = await requireSignedIn();
  if (member.mustChangePassword) redirect("/account");
  return toSessionUser(member);
}

/** For the dashboard shell and the account page: any signed-in member, one-time password pending or not. */
export async function requireSignedIn(): Promise<SignedInMember> {
  const member = await getSignedInMember();
  if (!member) redirect("/signin");
  return member;
}

/** For pages: the signed-in user if they hold the permission; otherwise the 403 page. */
export async function requirePagePermission(permission: Permission): Promise<SessionUser> {
  const user = await requireUser();
  if (!can(user.role, permission)) forbidden();
  return user;
}
