import "server-only";
import { cache } from "react";
import { forbidden, redirect } from "next/navigation";
import { auth } from "@/lib/auth/auth";
import { can, type Permission, type RoleName } from "@/lib/auth/permissions";
import { getActiveUserById } from "@/lib/members/queries";

export type SessionUser = { id: string; email: string; name: string; role: RoleName; active: true };

/** The signed-in, active user of this request, or null. Reads the database once per request. */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  return getActiveUserById(id);
});

/** For pages: the signed-in user, or a redirect to the sign-in page. */
export async function requireUser(): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/signin");
  return user;
}

/** For pages: the signed-in user if they hold the permission; otherwise the 403 page. */
export async function requirePagePermission(permission: Permission): Promise<SessionUser> {
  const user = await requireUser();
  if (!can(user.role, permission)) forbidden();
  return user;
}
