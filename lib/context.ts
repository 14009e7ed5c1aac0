import { randomUUID } from "node:crypto";
import { requirePermission, type Permission, type RoleName } from "@/lib/auth/permissions";

/** Who does something, and under which request id: passed to every service write. */
export type ServiceContext = {
  actor: { id: string | null; role: RoleName; label: string; active?: boolean };
  requestId: string;
};

export function newRequestId(): string {
  return randomUUID();
}

/** For seeds, start-up sync and scheduled jobs: acts with admin rights as "system". */
export function systemContext(label = "system"): ServiceContext {
  return { actor: { id: null, role: "admin", label }, requestId: newRequestId() };
}

export function userContext(user: { id: string; role: RoleName; email: string }, requestId: string): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId };
}

/** requirePermission for a service context (the system actor has no user id). */
export function authorize(ctx: ServiceContext, permission: Permission): void {
  requirePermission({ ...ctx.actor, id: ctx.actor.id ?? "system" }, permission);
}
