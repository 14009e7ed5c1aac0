import "server-only";
import { appendAuditEvent, type AuditActor } from "@/lib/audit/service";
import { ROLES, type RoleName } from "@/lib/auth/permissions";
import type { SsoPolicy } from "@/lib/auth/sso-config";
import { prisma, type Tx } from "@/lib/db/client";
import { env } from "@/lib/env";
import { isUniqueViolation } from "@/lib/errors";
import { lockMembers, otherActiveAdmins } from "./service";

/** Why an SSO sign-in was refused; the sign-in page explains each (lib/auth/sign-in-errors.ts). */
export type SsoRefusal =
  | "sso_no_email"
  | "sso_unverified"
  | "sso_email_taken"
  | "sso_domain"
  | "sso_no_role"
  | "sso_last_admin"
  | "deactivated";

export type SsoResult =
  | { status: "ok"; user: { id: string; email: string; name: string; role: RoleName } }
  | { status: "refused"; reason: SsoRefusal };

/** The ID token's claims (Auth.js's `profile`); `sub` is the identity. */
export type SsoClaims = { sub: string } & Record<string, unknown>;

export const SSO_ACTOR: AuditActor = { id: null, label: "system (SSO)" };

const selected = { id: true, email: true, name: true, role: true, active: true, oidcSubject: true } as const;

/** A claim by name; a dotted name walks into objects (Keycloak's `realm_access.roles`). */
function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let v: unknown = claims;
  for (const part of name.split(".")) v = v && typeof v === "object" && Object.hasOwn(v, part) ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** The claim's values: an array of strings, or one string of space- or comma-separated values. */
export function claimValues(claims: Record<string, unknown>, name: string): string[] {
  const v = claimAt(claims, name);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  if (typeof v === "string") return v.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** The highest role any of the identity's groups maps to, and the groups that gave it; null when none maps. */
export function mappedRole(claims: Record<string, unknown>, policy: SsoPolicy): { role: RoleName; groups: string[] } | null {
  if (!policy.rolesClaim) return null;
  const groups = claimValues(claims, policy.rolesClaim).filter((g) => Object.hasOwn(policy.roleMap, g));
  if (groups.length === 0) return null;
  const role = groups.map((g) => policy.roleMap[g]!).reduce((a, b) => (ROLES.indexOf(b) > ROLES.indexOf(a) ? b : a));
  return { role, groups: groups.filter((g) => policy.roleMap[g] === role) };
}

function emailDomainAllowed(email: string, policy: SsoPolicy): boolean {
  if (policy.allowedDomains.length === 0) return true;
  const domain = email.slice(email.lastIndexOf("@") + 1);
  return policy.allowedDomains.includes(domain);
}

/**
 * Decides an SSO sign-in and records it (docs: README "SSO settings"):
 * - a returning identity is found by its subject, never by email;
 * - a new identity links to the member with its email only when the token says
 *   `email_verified: true` and that member has no subject yet; a subject is never overwritten;
 * - OIDC_ALLOWED_DOMAINS refuses other emails (a verified email is required for the check);
 * - with OIDC_ROLES_CLAIM the role is recomputed at every sign-in and a change is audited.
 */
export async function signInWithSso(claims: SsoClaims, policy: SsoPolicy = env().sso): Promise<SsoResult> {
  try {
    return await prisma.$transaction((tx) => decide(tx, claims, policy));
  } catch (e) {
    // Two first sign-ins of one identity at once: the loser finds the winner's row.
    if (!isUniqueViolation(e)) throw e;
    return prisma.$transaction((tx) => decide(tx, claims, policy));
  }
}

async function decide(tx: Tx, claims: SsoClaims, policy: SsoPolicy): Promise<SsoResult> {
  const refuse = (reason: SsoRefusal): SsoResult => ({ status: "refused", reason });
  const rawEmail = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  const email = /^[^@\s]+@[^@\s]+$/.test(rawEmail) ? rawEmail : null;
  const verified = claims.email_verified === true || claims.email_verified === "true";
  const mapped = mappedRole(claims, policy);
  if (policy.allowedDomains.length > 0 && (!email || !verified || !emailDomainAllowed(email, policy))) {
    return refuse(email && !verified ? "sso_unverified" : "sso_domain");
  }
  if (policy.rolesClaim && policy.requireRole && !mapped) return refuse("sso_no_role");
  const role: RoleName | null = policy.rolesClaim ? (mapped?.role ?? "viewer") : null;
  const reason = policy.rolesClaim
    ? `Set by the identity provider's "${policy.rolesClaim}" claim (${mapped ? mapped.groups.join(", ") : "no mapped group: viewer"}).`
    : null;

  await lockMembers(tx);
  let user = await tx.user.findUnique({ where: { oidcSubject: claims.sub }, select: selected });
  if (!user) {
    if (!email) return refuse("sso_no_email");
    if (!verified) return refuse("sso_unverified");
    const byEmail = await tx.user.findUnique({ where: { email }, select: selected });
    if (byEmail && byEmail.oidcSubject !== null) return refuse("sso_email_taken");
    if (byEmail && !byEmail.active) return refuse("deactivated");
    if (byEmail) {
      user = await tx.user.update({ where: { id: byEmail.id }, data: { oidcSubject: claims.sub }, select: selected });
      await appendAuditEvent(tx, { actor: SSO_ACTOR, action: "member.sso_linked", targetType: "member", targetId: user.id, after: { email, emailVerified: true } });
    } else {
      const name = (typeof claims.name === "string" ? claims.name.trim() : "").slice(0, 120) || email;
      user = await tx.user.create({ data: { email, name, role: role ?? "viewer", oidcSubject: claims.sub }, select: selected });
      await appendAuditEvent(tx, {
        actor: SSO_ACTOR,
        action: "member.created",
        targetType: "member",
        targetId: user.id,
        after: { email: user.email, name: user.name, role: user.role, via: "sso" },
        reason,
      });
    }
  }
  if (!user.active) return refuse("deactivated");
  if (role && role !== user.role) {
    // Never leave the instance without an admin: the sign-in is refused instead, until another admin exists.
    if (user.role === "admin" && (await otherActiveAdmins(tx, user.id)) === 0) return refuse("sso_last_admin");
    const before = user.role;
    user = await tx.user.update({ where: { id: user.id }, data: { role }, select: selected });
    await appendAuditEvent(tx, { actor: SSO_ACTOR, action: "member.role_changed", targetType: "member", targetId: user.id, before: { role: before }, after: { role }, reason });
  }
  await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
  return { status: "ok", user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}
