import { randomUUID } from "node:crypto";
import { requirePermission, type Permission, type RoleName } from "@/lib/auth/permissions";

/** Who does something, and under which request id: passed to every service write. */
export type ServiceContext = {
  /** `tokenId`: the API token acting (the automation API); its id is null and its label `token: <name>`. */
  actor: { id: string | null; role: RoleName; label: string; active?: boolean; tokenId?: string };
  requestId: string;
};

export function newRequestId(): string {
  return randomUUID();
}

/** For seeds, start-up sync and scheduled jobs: acts with admin rights as "system". */
export function systemContext(label = "system"): ServiceContext {
  return { actor: { id: null, role: "admin", label }, requestId: newRequestId() };
}

/** Drift watch's actor (issue 16): what it starts and requests is audited as "drift watch". It has no user id, so every human approver may decide its requests. */
export const DRIFT_WATCH_ACTOR = "drift watch";

export function driftWatchContext(): ServiceContext {
  return systemContext(DRIFT_WATCH_ACTOR);
}

export function userContext(user: { id: string; role: RoleName; email: string }, requestId: string): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId };
}

/** The audit actor label of an API token: `token: <name>` (the audit log's "API tokens" filter reads it). */
export const TOKEN_ACTOR_PREFIX = "token: ";

/**
 * An API token acting through the automation API (issue 19): audited as
 * `token: <name>`, with no user id (so any human may decide its requests) and
 * an editor's permissions; which of them it may use is the token's scopes,
 * checked before any service is called (lib/automation/route.ts). The services
 * refuse a token what would change a pin without a human (human_approval_required).
 */
export function tokenContext(token: { id: string; name: string }, requestId: string): ServiceContext {
  return { actor: { id: null, role: "editor", label: `${TOKEN_ACTOR_PREFIX}${token.name}`, tokenId: token.id }, requestId };
}

/** requirePermission for a service context (the system actor has no user id). */
export function authorize(ctx: ServiceContext, permission: Permission): void {
  requirePermission({ ...ctx.actor, id: ctx.actor.id ?? "system" }, permission);
}
