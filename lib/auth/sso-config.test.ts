import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/lib/env";
import { parseSsoPolicy } from "./sso-config";

const base = {
  NODE_ENV: "production",
  DATABASE_URL: "postgresql://u:p@db:5432/modelpin",
  AUTH_SECRET: "x".repeat(40),
  MODELPIN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
  AUTH_URL: "https://modelpin.example.com",
} as const;

function problems(patch: Record<string, string>): string[] {
  try {
    parseConfig({ ...base, ...patch } as NodeJS.ProcessEnv);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe("SSO settings", () => {
  it("parses domains, the claim and the role map", () => {
    const c = parseConfig({
      ...base,
      OIDC_ALLOWED_DOMAINS: " Example.com, @corp.example.org ,",
      OIDC_ROLES_CLAIM: "groups",
      OIDC_ROLE_MAP: "ml-admins=admin, ml-approvers=Approver,team=a=editor",
      OIDC_REQUIRE_ROLE: "true",
    } as NodeJS.ProcessEnv);
    expect(c.sso).toEqual({
      allowedDomains: ["example.com", "corp.example.org"],
      rolesClaim: "groups",
      roleMap: { "ml-admins": "admin", "ml-approvers": "approver", "team=a": "editor" },
      requireRole: true,
    });
  });

  it("is open when nothing is set", () => {
    expect(parseConfig({ ...base } as NodeJS.ProcessEnv).sso).toEqual({ allowedDomains: [], rolesClaim: null, roleMap: {}, requireRole: false });
  });

  it.each([
    ["OIDC_ROLE_MAP", { OIDC_ROLES_CLAIM: "groups", OIDC_ROLE_MAP: "ml-admins" }, /without "group=role"/],
    ["OIDC_ROLE_MAP", { OIDC_ROLES_CLAIM: "groups", OIDC_ROLE_MAP: "ml-admins=owner" }, /unknown role "owner"/],
    ["OIDC_ROLE_MAP", { OIDC_ROLES_CLAIM: "groups", OIDC_ROLE_MAP: "a=admin,a=viewer" }, /twice/],
    ["OIDC_ROLE_MAP", { OIDC_ROLES_CLAIM: "groups" }, /required when OIDC_ROLES_CLAIM/],
    ["OIDC_ROLES_CLAIM", { OIDC_ROLE_MAP: "a=admin" }, /required when OIDC_ROLE_MAP/],
    ["OIDC_REQUIRE_ROLE", { OIDC_REQUIRE_ROLE: "true" }, /needs OIDC_ROLES_CLAIM/],
    ["OIDC_ALLOWED_DOMAINS", { OIDC_ALLOWED_DOMAINS: "example.com,not a domain" }, /invalid domains: "not a domain"/],
    ["OIDC_ROLES_CLAIM", { OIDC_ROLES_CLAIM: "two words", OIDC_ROLE_MAP: "a=admin" }, /claim name/],
  ])("a bad %s stops start-up with a message naming it", (name, patch, message) => {
    const p = problems(patch).join("\n");
    expect(p).toContain(name);
    expect(p).toMatch(message);
  });

  it("reports every problem at once", () => {
    const r = parseSsoPolicy({ OIDC_ALLOWED_DOMAINS: "bad domain", OIDC_ROLE_MAP: "x=boss" });
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(2);
  });
});
