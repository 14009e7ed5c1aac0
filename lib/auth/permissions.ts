import { ForbiddenError } from "@/lib/errors";

/**
 * Permissions are data: one table role → permissions, and one check that
 * fails closed (an unknown role or permission grants nothing).
 */
export const PERMISSIONS = [
  // viewer: read everything
  "functions:read",
  "pins:read",
  "comparisons:read",
  "requests:read",
  "audit:read",
  // editor
  "functions:sync",
  "models:write",
  "samples:write",
  "comparisons:run",
  "pins:write",
  "requests:create",
  // approver
  "requests:decide",
  // admin
  "environments:manage",
  "members:manage",
  "nyckel:manage",
  "tokens:manage",
  "webhooks:manage",
  "pins:break_glass",
  "audit:verify",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["viewer", "editor", "approver", "admin"] as const;
export type RoleName = (typeof ROLES)[number];

const VIEWER: readonly Permission[] = ["functions:read", "pins:read", "comparisons:read", "requests:read", "audit:read"];
const EDITOR: readonly Permission[] = [
  ...VIEWER,
  "functions:sync",
  "models:write",
  "samples:write",
  "comparisons:run",
  "pins:write",
  "requests:create",
];
const APPROVER: readonly Permission[] = [...EDITOR, "requests:decide"];
const ADMIN: readonly Permission[] = [
  ...APPROVER,
  "environments:manage",
  "members:manage",
  "nyckel:manage",
  "tokens:manage",
  "webhooks:manage",
  "pins:break_glass",
  "audit:verify",
];

export const ROLE_PERMISSIONS: Readonly<Record<RoleName, ReadonlySet<Permission>>> = Object.freeze({
  viewer: new Set(VIEWER),
  editor: new Set(EDITOR),
  approver: new Set(APPROVER),
  admin: new Set(ADMIN),
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
