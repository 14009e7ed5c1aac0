/**
 * Every audit action Modelpin writes, with its label for the audit log's filter.
 * `appendAuditEvent` takes only these (`AuditAction`), so an action cannot be
 * written without appearing here. (The filter also accepts any other well-formed
 * action, for events written by older versions.)
 */
export const AUDIT_ACTIONS = [
  { action: "pin.pinned", label: "Pin" },
  { action: "pin.unpinned", label: "Unpin" },
  { action: "pin.rolled_back", label: "Rollback" },
  { action: "pin.break_glass", label: "Break-glass pin change" },
  { action: "model.registered", label: "Model registered" },
  { action: "model.updated", label: "Model edited" },
  { action: "model.retired", label: "Model retired" },
  { action: "model.restored", label: "Model restored" },
  { action: "model.checked", label: "Model checked" },
  { action: "model.discovered", label: "Model discovered by sync" },
  { action: "functions.synced", label: "Functions synced" },
  { action: "environment.created", label: "Environment created" },
  { action: "environment.updated", label: "Environment edited" },
  { action: "member.created", label: "Member added" },
  { action: "member.role_changed", label: "Member role changed" },
  { action: "member.deactivated", label: "Member deactivated" },
  { action: "member.reactivated", label: "Member reactivated" },
  { action: "member.sso_linked", label: "SSO linked" },
  { action: "member.password_changed", label: "Password changed" },
  { action: "member.password_reset", label: "One-time password set" },
  { action: "auth.throttled", label: "Sign-in throttled" },
  { action: "nyckel.credentials_changed", label: "Nyckel credentials changed" },
  { action: "nyckel.connection_tested", label: "Nyckel connection tested" },
  { action: "comparison.started", label: "Comparison started" },
  { action: "comparison.finished", label: "Comparison finished" },
  { action: "comparison.cancelled", label: "Comparison cancelled" },
  { action: "comparison.failed", label: "Comparison failed" },
  { action: "comparison.quick", label: "Quick compare" },
  { action: "sample_set.created", label: "Sample set uploaded" },
  { action: "sample_set.renamed", label: "Sample set renamed" },
  { action: "sample_set.deleted", label: "Sample set deleted" },
  { action: "function.golden_set_changed", label: "Golden set changed" },
  { action: "request.opened", label: "Promotion requested" },
  { action: "request.approved", label: "Promotion approved" },
  { action: "request.rejected", label: "Promotion rejected" },
  { action: "request.cancelled", label: "Promotion cancelled" },
  { action: "request.applied", label: "Promotion applied" },
  { action: "request.stale", label: "Promotion stale (pin moved)" },
  { action: "request.expired", label: "Promotion expired" },
  { action: "request.integrity_failed", label: "Promotion refused: request changed outside Modelpin" },
  { action: "drift.candidate_opened", label: "Drift watch: candidate opened" },
  { action: "drift.rejected", label: "Drift watch: new model rejected" },
  { action: "drift.awaiting_model_id", label: "Drift watch: latest changed, model id needed" },
  { action: "drift.failed", label: "Drift watch: evaluation failed" },
  { action: "shadow.started", label: "Shadow evaluation started" },
  { action: "shadow.changed", label: "Shadow evaluation changed" },
  { action: "shadow.stopped", label: "Shadow evaluation stopped" },
  { action: "shadow.frozen", label: "Shadow evaluation frozen as evidence" },
  { action: "webhook.created", label: "Webhook added" },
  { action: "webhook.updated", label: "Webhook edited" },
  { action: "webhook.deleted", label: "Webhook deleted" },
  { action: "webhook.secret_revealed", label: "Webhook secret revealed" },
  { action: "token.created", label: "API token created" },
  { action: "token.revoked", label: "API token revoked" },
  { action: "audit.anchored", label: "Audit chain anchored (head signed)" },
  { action: "audit.reanchored", label: "Audit chain re-anchored" },
] as const satisfies ReadonlyArray<{ action: string; label: string }>;

export type AuditAction = (typeof AUDIT_ACTIONS)[number]["action"];

export function actionLabel(action: string): string {
  return AUDIT_ACTIONS.find((a) => a.action === action)?.label ?? action;
}
