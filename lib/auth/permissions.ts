import { ForbiddenError } from "@/lib/errors";

/**
 * Permissions are data: one table role → permissions, and one check that
 * fails closed (an unknown role or permission grants nothing).
 */
/** What each role adds to the one before it (DESIGN.md: viewer < editor < approver < admin). */
const GRANTS = {
  // viewer: read everything
  viewer: ["functions:read", "pins:read", "comparisons:read", "requests:read", "audit:read"],
  editor: ["functions:sync", "models:write", "samples:write", "comparisons:run", "pins:write", "requests:create"],
  approver: ["requests:decide"],
  admin: ["environments:manage", "members:manage", "nyckel:manage", "tokens:manage", "webhooks:manage", "pins:break_glass", "audit:verify"],
} as const;

export const ROLES = ["viewer", "editor", "approver", "admin"] as const;
export type RoleName = (typeof ROLES)[number];

export const PERMISSIONS = [...GRANTS.viewer, ...GRANTS.editor, ...GRANTS.approver, ...GRANTS.admin] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** A role has its own grants and every grant of the roles below it. */
const granted = (role: RoleName): readonly Permission[] => ROLES.slice(0, ROLES.indexOf(role) + 1).flatMap((r) => GRANTS[r]);

export const ROLE_PERMISSIONS: Readonly<Record<RoleName, ReadonlySet<Permission>>> = Object.freeze({
  viewer: new Set(granted("viewer")),
  editor: new Set(granted("editor")),
  approver: new Set(granted("approver")),
  admin: new Set(granted("admin")),
});

export const ROLE_LABELS: Record<RoleName, string> = {
  viewer: "Viewer",
  editor: "Editor",
  approver: "Approver",
  admin: "Admin",
};

export function isRole(value: unknown): value is RoleName {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether a role has a permission. Unknown roles have none. */
export function can(role: unknown, permission: Permission): boolean {
  if (!isRole(role)) return false;
  return ROLE_PERMISSIONS[role].has(permission);
}

export type Actor = { id: string; role: string; active?: boolean };

/**
 * The one authorization check used by every page, server action and route
 * handler. Fails closed: no user, an inactive user, an unknown role or a
 * missing permission all throw ForbiddenError.
 */
export function requirePermission<U extends Actor>(user: U | null | undefined, permission: Permission): U {
  if (!user || user.active === false || !can(user.role, permission)) {
    throw new ForbiddenError("You are not allowed to do this.");
  }
  return user;
}
