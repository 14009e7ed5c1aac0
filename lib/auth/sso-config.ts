import { ROLES, type RoleName } from "@/lib/auth/permissions";

/**
 * The SSO sign-in rules from the environment (OIDC_ALLOWED_DOMAINS,
 * OIDC_ROLES_CLAIM, OIDC_ROLE_MAP, OIDC_REQUIRE_ROLE), parsed once by
 * lib/env.ts. Pure, so the env module and the tests share it.
 */
export type SsoPolicy = {
  /** Lower-case email domains; empty means any domain. */
  allowedDomains: string[];
  /** The ID-token claim holding the identity's groups; null: roles are managed in Modelpin. */
  rolesClaim: string | null;
  /** Claim value → role. */
  roleMap: Record<string, RoleName>;
  /** With a roles claim: refuse identities that no mapping gives a role. */
  requireRole: boolean;
};

export const OPEN_SSO_POLICY: SsoPolicy = { allowedDomains: [], rolesClaim: null, roleMap: {}, requireRole: false };

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `example.com, corp.example.org` → ["example.com", "corp.example.org"]. */
export function parseAllowedDomains(raw: string | undefined): Parsed<string[]> {
  const items = (raw ?? "").split(",").map((d) => d.trim().toLowerCase().replace(/^@/, "")).filter(Boolean);
  const bad = items.filter((d) => !DOMAIN.test(d));
  if (bad.length) return { ok: false, problem: `has invalid domains: ${bad.map((d) => JSON.stringify(d)).join(", ")} (expected a comma list like example.com,corp.example.org)` };
  return { ok: true, value: [...new Set(items)] };
}

/** `ml-admins=admin,ml-approvers=approver` → { "ml-admins": "admin", "ml-approvers": "approver" }. */
export function parseRoleMap(raw: string | undefined): Parsed<Record<string, RoleName>> {
  const map: Record<string, RoleName> = {};
  const entries = (raw ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const eq = entry.lastIndexOf("=");
    const group = eq > 0 ? entry.slice(0, eq).trim() : "";
    const role = eq > 0 ? entry.slice(eq + 1).trim().toLowerCase() : "";
    if (!group || !role) return { ok: false, problem: `has an entry without "group=role": ${JSON.stringify(entry)} (expected like ml-admins=admin,ml-approvers=approver)` };
    if (!(ROLES as readonly string[]).includes(role)) return { ok: false, problem: `maps ${JSON.stringify(group)} to an unknown role ${JSON.stringify(role)} (roles: ${ROLES.join(", ")})` };
    if (map[group] && map[group] !== role) return { ok: false, problem: `maps ${JSON.stringify(group)} twice, to ${map[group]} and ${role}` };
    map[group] = role as RoleName;
  }
  return { ok: true, value: map };
}

/** Builds the policy, or lists problems that each name their variable. */
export function parseSsoPolicy(raw: {
  OIDC_ALLOWED_DOMAINS?: string;
  OIDC_ROLES_CLAIM?: string;
  OIDC_ROLE_MAP?: string;
  OIDC_REQUIRE_ROLE?: boolean;
}): Parsed<SsoPolicy> & { problems: string[] } {
  const problems: string[] = [];
  const domains = parseAllowedDomains(raw.OIDC_ALLOWED_DOMAINS);
  if (!domains.ok) problems.push(`OIDC_ALLOWED_DOMAINS ${domains.problem}`);
  const map = parseRoleMap(raw.OIDC_ROLE_MAP);
  if (!map.ok) problems.push(`OIDC_ROLE_MAP ${map.problem}`);
  const claim = raw.OIDC_ROLES_CLAIM?.trim() || null;
  const mapped = map.ok ? Object.keys(map.value).length : 0;
  if (claim && map.ok && mapped === 0) problems.push("OIDC_ROLE_MAP is required when OIDC_ROLES_CLAIM is set (like ml-admins=admin,ml-approvers=approver)");
  if (!claim && mapped > 0) problems.push("OIDC_ROLES_CLAIM is required when OIDC_ROLE_MAP is set (the ID-token claim holding the groups, like groups)");
  if (!claim && raw.OIDC_REQUIRE_ROLE) problems.push("OIDC_REQUIRE_ROLE=true needs OIDC_ROLES_CLAIM and OIDC_ROLE_MAP");
  if (problems.length || !domains.ok || !map.ok) return { ok: false, problem: problems.join("; "), problems };
  return {
    ok: true,
    value: { allowedDomains: domains.value, rolesClaim: claim, roleMap: map.value, requireRole: Boolean(claim && raw.OIDC_REQUIRE_ROLE) },
    problems,
  };
}
