import { describe, expect, it } from "vitest";
import { ForbiddenError } from "@/lib/errors";
import { PERMISSIONS, ROLES, can, requirePermission, type Permission, type RoleName } from "./permissions";

// Written out from the roles table in DESIGN.md, independently of the table in code.
const READ: Permission[] = ["functions:read", "pins:read", "comparisons:read", "requests:read", "audit:read"];
const EDIT: Permission[] = ["functions:sync", "models:write", "samples:write", "comparisons:run", "pins:write", "requests:create"];
const APPROVE: Permission[] = ["requests:decide"];
const ADMIN: Permission[] = [
  "environments:manage",
  "members:manage",
  "nyckel:manage",
  "tokens:manage",
  "webhooks:manage",
  "pins:break_glass",
  "audit:verify",
];
const expected: Record<RoleName, Permission[]> = {
  viewer: READ,
  editor: [...READ, ...EDIT],
  approver: [...READ, ...EDIT, ...APPROVE],
  admin: [...READ, ...EDIT, ...APPROVE, ...ADMIN],
};

describe("permission table", () => {
  it("covers every permission in the design", () => {
    expect(new Set(PERMISSIONS)).toEqual(new Set([...READ, ...EDIT, ...APPROVE, ...ADMIN]));
  });

  for (const role of ROLES) {
    for (const permission of PERMISSIONS) {
      const allowed = expected[role].includes(permission);
      it(`${role} ${allowed ? "may" : "may not"} ${permission}`, () => {
        expect(can(role, permission)).toBe(allowed);
        if (allowed) {
          expect(requirePermission({ id: "u", role }, permission).id).toBe("u");
        } else {
          expect(() => requirePermission({ id: "u", role }, permission)).toThrow(ForbiddenError);
        }
      });
    }
  }

  it("gives an unknown role nothing", () => {
    for (const role of ["owner", "", "ADMIN", "root", null, undefined, 42]) {
      for (const permission of PERMISSIONS) {
        expect(can(role, permission)).toBe(false);
        expect(() => requirePermission({ id: "u", role: role as string }, permission)).toThrow(ForbiddenError);
      }
    }
  });

  it("fails closed for a missing user, an inactive user and an unknown permission", () => {
    expect(() => requirePermission(null, "pins:read")).toThrow(ForbiddenError);
    expect(() => requirePermission(undefined, "pins:read")).toThrow(ForbiddenError);
    expect(() => requirePermission({ id: "u", role: "admin", active: false }, "pins:read")).toThrow(ForbiddenError);
    expect(can("admin", "everything" as Permission)).toBe(false);
  });
});
