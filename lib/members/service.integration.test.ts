import { afterAll, describe, expect, it } from "vitest";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError } from "@/lib/errors";
import { authenticateWithPassword, changeMemberRole, createMember, setMemberActive } from "./service";

const sys = systemContext("test");
const email = (p: string) => `${p}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

function as(user: { id: string; role: "viewer" | "editor" | "approver" | "admin"; email: string }): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId: "test-request" };
}

afterAll(async () => {
  await disconnectPrisma();
});

describe("members service (real PostgreSQL)", () => {
  it("creates a member with a bcrypt-hashed password and an audit event", async () => {
    const e = email("create");
    const user = await createMember(sys, { email: e.toUpperCase(), name: "Casey", role: "editor", password: "a-long-password" });
    expect(user.email).toBe(e); // normalised to lower case
    const row = await prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$2[aby]\$11\$/);
    expect(row.passwordHash).not.toContain("a-long-password");
    const event = await prisma.auditEvent.findFirst({ where: { targetId: user.id, action: "member.created" } });
    expect(event?.after).toMatchObject({ email: e, role: "editor" });
  });

  it("verifies passwords: right one signs in, wrong one and unknown email do not", async () => {
    const e = email("verify");
    await createMember(sys, { email: e, name: "Val", role: "viewer", password: "right-password-1" });
    const ok = await authenticateWithPassword(e, "right-password-1");
    expect(ok.status).toBe("ok");
    expect(await authenticateWithPassword(e, "wrong-password-1")).toEqual({ status: "wrong" });
    expect(await authenticateWithPassword(email("nobody"), "right-password-1")).toEqual({ status: "wrong" });
    const row = await prisma.user.findUniqueOrThrow({ where: { email: e } });
    expect(row.lastSignInAt).not.toBeNull();
  });

  it("refuses a duplicate email with a conflict and changes nothing", async () => {
    const e = email("dup");
    await createMember(sys, { email: e, name: "First", role: "viewer", password: "first-password" });
    await expect(createMember(sys, { email: e, name: "Second", role: "admin", password: "second-password" })).rejects.toThrow(ConflictError);
    expect(await prisma.user.count({ where: { email: e } })).toBe(1);
    expect((await prisma.user.findUniqueOrThrow({ where: { email: e } })).name).toBe("First");
  });

  it("rejects bad input with field errors", async () => {
    const err = await createMember(sys, { email: "nope", name: "", role: "viewer", password: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(Object.keys((err as InvalidInputError).fieldErrors ?? {}).sort()).toEqual(["email", "name", "password"]);
  });

  it("changes roles and records before/after", async () => {
    const u = await createMember(sys, { email: email("role"), name: "Rho", role: "viewer", password: "role-password" });
    const updated = await changeMemberRole(sys, { userId: u.id, role: "approver" });
    expect(updated.role).toBe("approver");
    const event = await prisma.auditEvent.findFirst({ where: { targetId: u.id, action: "member.role_changed" } });
    expect(event?.before).toEqual({ role: "viewer" });
    expect(event?.after).toEqual({ role: "approver" });
  });

  it("deactivates: a deactivated member cannot sign in; reactivation restores it", async () => {
    const e = email("deact");
    const u = await createMember(sys, { email: e, name: "Dee", role: "editor", password: "deact-password" });
    await setMemberActive(sys, { userId: u.id, active: false });
    expect(await authenticateWithPassword(e, "deact-password")).toEqual({ status: "deactivated" });
    await setMemberActive(sys, { userId: u.id, active: true });
    expect((await authenticateWithPassword(e, "deact-password")).status).toBe("ok");
  });

  it("only admins manage members", async () => {
    const editor = await createMember(sys, { email: email("ed"), name: "Ed", role: "editor", password: "editor-password" });
    await expect(
      createMember(as(editor), { email: email("x"), name: "X", role: "admin", password: "xxxxxxxxxxxx" }),
    ).rejects.toThrow(ForbiddenError);
    await expect(changeMemberRole(as(editor), { userId: editor.id, role: "admin" })).rejects.toThrow(ForbiddenError);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: editor.id } })).role).toBe("editor");
  });

  it("never removes the last active admin, even under concurrent demotions", async () => {
    await prisma.user.updateMany({ where: { role: "admin" }, data: { role: "viewer" } });
    const a = await createMember(sys, { email: email("admin-a"), name: "A", role: "admin", password: "admin-a-password" });
    await expect(changeMemberRole(as(a), { userId: a.id, role: "viewer" })).rejects.toThrow(/last active admin/);
    await expect(setMemberActive(as(a), { userId: a.id, active: false })).rejects.toThrow(/last active admin/);

    const b = await createMember(as(a), { email: email("admin-b"), name: "B", role: "admin", password: "admin-b-password" });
    // Both demote each other at once: exactly one may succeed.
    const results = await Promise.allSettled([
      changeMemberRole(as(a), { userId: b.id, role: "editor" }),
      changeMemberRole(as(b), { userId: a.id, role: "editor" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await prisma.user.count({ where: { role: "admin", active: true } })).toBe(1);
  });
});
