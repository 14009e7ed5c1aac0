import { afterAll, afterEach, describe, expect, it } from "vitest";
import { OPEN_SSO_POLICY, type SsoPolicy } from "@/lib/auth/sso-config";
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { resetConfigForTests } from "@/lib/env";
import { ConflictError } from "@/lib/errors";
import { changeMemberRole, createMember } from "./service";
import { signInWithSso, type SsoClaims } from "./sso";

const sys = systemContext("test");
const uniq = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const email = (p: string, domain = "example.com") => `${p}-${uniq()}@${domain}`;
const claims = (c: Partial<SsoClaims> & Record<string, unknown>): SsoClaims => ({ sub: `sub-${uniq()}`, name: "Sam SSO", ...c });
const mapped: SsoPolicy = {
  allowedDomains: [],
  rolesClaim: "groups",
  roleMap: { "ml-admins": "admin", "ml-approvers": "approver", "ml-editors": "editor" },
  requireRole: false,
};

async function member(e: string, role: "viewer" | "editor" | "approver" | "admin" = "viewer") {
  return createMember(sys, { email: e, name: "Existing", role, password: "existing-password" });
}
const row = (id: string) => prisma.user.findUniqueOrThrow({ where: { id } });
const events = (id: string, action: string) => prisma.auditEvent.findMany({ where: { targetId: id, action }, orderBy: { id: "asc" } });

afterEach(() => {
  delete process.env.OIDC_ROLES_CLAIM;
  delete process.env.OIDC_ROLE_MAP;
  resetConfigForTests();
});
afterAll(async () => {
  await disconnectPrisma();
});

describe("SSO linking (real PostgreSQL)", () => {
  it("refuses to link an existing member when the email is not verified, and changes nothing", async () => {
    const e = email("victim");
    const victim = await member(e, "admin");
    for (const v of [false, undefined, "false", 1]) {
      expect(await signInWithSso(claims({ email: e, email_verified: v }), OPEN_SSO_POLICY)).toEqual({ status: "refused", reason: "sso_unverified" });
    }
    expect((await row(victim.id)).oidcSubject).toBeNull();
    expect(await events(victim.id, "member.sso_linked")).toHaveLength(0);
  });

  it("links a verified email to a member without a subject, once; another identity with that email is refused", async () => {
    const e = email("link");
    const m = await member(e, "editor");
    const first = claims({ email: e.toUpperCase(), email_verified: true });
    const r = await signInWithSso(first, OPEN_SSO_POLICY);
    expect(r).toMatchObject({ status: "ok", user: { id: m.id, role: "editor" } });
    expect((await row(m.id)).oidcSubject).toBe(first.sub);
    const [linked] = await events(m.id, "member.sso_linked");
    expect(linked?.actorLabel).toBe("system (SSO)");

    // A second identity claiming the same (verified) email: never overwrites the subject.
    expect(await signInWithSso(claims({ email: e, email_verified: true }), OPEN_SSO_POLICY)).toEqual({ status: "refused", reason: "sso_email_taken" });
    expect((await row(m.id)).oidcSubject).toBe(first.sub);

    // The returning identity matches by subject, even when its email changed or is unverified now.
    const back = await signInWithSso({ ...first, email: email("moved"), email_verified: false }, OPEN_SSO_POLICY);
    expect(back).toMatchObject({ status: "ok", user: { id: m.id } });
    expect((await row(m.id)).lastSignInAt).not.toBeNull();
  });

  it("creates a viewer for a new verified identity, and refuses one without a (verified) email", async () => {
    const e = email("new");
    const c = claims({ email: e, email_verified: "true", name: "Nova" });
    const r = await signInWithSso(c, OPEN_SSO_POLICY);
    expect(r).toMatchObject({ status: "ok", user: { email: e, name: "Nova", role: "viewer" } });
    expect((await prisma.user.findUniqueOrThrow({ where: { email: e } })).oidcSubject).toBe(c.sub);
    expect(await signInWithSso(claims({ email_verified: true }), OPEN_SSO_POLICY)).toEqual({ status: "refused", reason: "sso_no_email" });
    const unverified = email("unv");
    expect(await signInWithSso(claims({ email: unverified, email_verified: false }), OPEN_SSO_POLICY)).toEqual({ status: "refused", reason: "sso_unverified" });
    expect(await prisma.user.count({ where: { email: unverified } })).toBe(0);
  });

  it("refuses a deactivated member", async () => {
    const e = email("deact");
    const c = claims({ email: e, email_verified: true });
    const r = await signInWithSso(c, OPEN_SSO_POLICY);
    if (r.status !== "ok") throw new Error("expected a sign-in");
    await prisma.user.update({ where: { id: r.user.id }, data: { active: false } });
    expect(await signInWithSso(c, OPEN_SSO_POLICY)).toEqual({ status: "refused", reason: "deactivated" });
  });

  it("OIDC_ALLOWED_DOMAINS: other domains are refused, as are unverified emails in the domain", async () => {
    const policy: SsoPolicy = { ...OPEN_SSO_POLICY, allowedDomains: ["corp.example.com"] };
    const out = email("out", "elsewhere.example.com");
    expect(await signInWithSso(claims({ email: out, email_verified: true }), policy)).toEqual({ status: "refused", reason: "sso_domain" });
    expect(await signInWithSso(claims({ email: email("in", "corp.example.com"), email_verified: false }), policy)).toEqual({ status: "refused", reason: "sso_unverified" });
    expect(await signInWithSso(claims({ email: email("sub", "x.corp.example.com"), email_verified: true }), policy)).toEqual({ status: "refused", reason: "sso_domain" });
    expect(await signInWithSso(claims({ email: email("in", "Corp.Example.com"), email_verified: true }), policy)).toMatchObject({ status: "ok" });
    expect(await prisma.user.count({ where: { email: out } })).toBe(0);
  });
});

describe("SSO role mapping (real PostgreSQL)", () => {
  it("gives the highest mapped role, recomputes it at every sign-in and audits each change", async () => {
    const c = claims({ email: email("groups"), email_verified: true, groups: ["staff", "ml-editors", "ml-approvers"] });
    const r = await signInWithSso(c, mapped);
    expect(r).toMatchObject({ status: "ok", user: { role: "approver" } });
    if (r.status !== "ok") return;

    expect(await signInWithSso({ ...c, groups: "ml-editors" }, mapped)).toMatchObject({ status: "ok", user: { role: "editor" } });
    expect(await signInWithSso({ ...c, groups: ["staff"] }, mapped)).toMatchObject({ status: "ok", user: { role: "viewer" } });
    expect(await signInWithSso({ ...c, groups: ["staff"] }, mapped)).toMatchObject({ status: "ok", user: { role: "viewer" } });
    const changes = await events(r.user.id, "member.role_changed");
    expect(changes.map((e) => [e.before, e.after])).toEqual([
      [{ role: "approver" }, { role: "editor" }],
      [{ role: "editor" }, { role: "viewer" }],
    ]);
    expect(changes[0]?.actorLabel).toBe("system (SSO)");
    expect(changes[0]?.reason).toContain('"groups" claim');
  });

  it("reads a dotted claim path and space-separated values", async () => {
    await member(email("keep-admin"), "admin"); // so the demotion below never removes the last admin
    const policy: SsoPolicy = { ...mapped, rolesClaim: "realm_access.roles" };
    const c = claims({ email: email("keycloak"), email_verified: true, realm_access: { roles: ["offline", "ml-editors"] } });
    expect(await signInWithSso(c, policy)).toMatchObject({ status: "ok", user: { role: "editor" } });
    expect(await signInWithSso({ ...c, realm_access: { roles: "x ml-admins" } }, policy)).toMatchObject({ status: "ok", user: { role: "admin" } });
    expect(await signInWithSso({ ...c, realm_access: "ml-admins" }, policy)).toMatchObject({ status: "ok", user: { role: "viewer" } });
  });

  it("maps a linked password member's role too", async () => {
    const e = email("promoted");
    const m = await member(e, "viewer");
    expect(await signInWithSso(claims({ email: e, email_verified: true, groups: ["ml-admins"] }), mapped)).toMatchObject({ status: "ok", user: { id: m.id, role: "admin" } });
    expect((await row(m.id)).role).toBe("admin");
  });

  it("OIDC_REQUIRE_ROLE refuses unmapped identities and creates nothing", async () => {
    const e = email("nogroup");
    expect(await signInWithSso(claims({ email: e, email_verified: true, groups: ["staff"] }), { ...mapped, requireRole: true })).toEqual({ status: "refused", reason: "sso_no_role" });
    expect(await prisma.user.count({ where: { email: e } })).toBe(0);
  });

  it("refuses a sign-in that would demote the last active admin, and keeps the role", async () => {
    await prisma.user.updateMany({ where: { role: "admin" }, data: { role: "viewer" } });
    const c = claims({ email: email("lastadmin"), email_verified: true, groups: ["ml-admins"] });
    const r = await signInWithSso(c, mapped);
    if (r.status !== "ok") throw new Error("expected a sign-in");
    expect(await signInWithSso({ ...c, groups: [] }, mapped)).toEqual({ status: "refused", reason: "sso_last_admin" });
    expect((await row(r.user.id)).role).toBe("admin");
    await member(email("other-admin"), "admin");
    expect(await signInWithSso({ ...c, groups: [] }, mapped)).toMatchObject({ status: "ok", user: { role: "viewer" } });
  });

  it("with OIDC_ROLES_CLAIM set, the change-role action refuses SSO members but not password members", async () => {
    process.env.OIDC_ROLES_CLAIM = "groups";
    process.env.OIDC_ROLE_MAP = "ml-admins=admin";
    resetConfigForTests();
    const r = await signInWithSso(claims({ email: email("managed"), email_verified: true }), mapped);
    if (r.status !== "ok") throw new Error("expected a sign-in");
    await expect(changeMemberRole(sys, { userId: r.user.id, role: "admin" })).rejects.toThrow(ConflictError);
    await expect(changeMemberRole(sys, { userId: r.user.id, role: "admin" })).rejects.toThrow(/"groups" claim/);
    expect((await row(r.user.id)).role).toBe("viewer");
    const pw = await member(email("password"));
    expect((await changeMemberRole(sys, { userId: pw.id, role: "editor" })).role).toBe("editor");
  });
});
