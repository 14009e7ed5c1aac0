import type { RoleName } from "@/lib/auth/permissions";

/**
 * Development-only sign-ins created by `npm run db:seed` (and listed in the
 * README and by `npm run dev`). Never use these on a shared server.
 */
export const DEV_USERS: ReadonlyArray<{ email: string; name: string; role: RoleName; password: string }> = [
  { email: "admin@modelpin.local", name: "Ada Admin", role: "admin", password: "modelpin-admin-dev" },
  { email: "approver@modelpin.local", name: "Arne Approver", role: "approver", password: "modelpin-approver-dev" },
  { email: "approver2@modelpin.local", name: "Bea Approver", role: "approver", password: "modelpin-approver2-dev" },
  { email: "editor@modelpin.local", name: "Eli Editor", role: "editor", password: "modelpin-editor-dev" },
  { email: "viewer@modelpin.local", name: "Vic Viewer", role: "viewer", password: "modelpin-viewer-dev" },
];

/**
 * Whether `db:seed` creates the development sign-ins: never in production
 * (their passwords are in this file and the README), where the seed creates
 * the environments and, with MODELPIN_ADMIN_EMAIL, one admin with a random
 * password printed once.
 */
export function seedsDevUsers(env: { NODE_ENV?: string }): boolean {
  return env.NODE_ENV !== "production";
}
