/**
 * The events a webhook can subscribe to (issue 6). Kept in one list so the
 * settings form, the validation schema, the emitters and the README agree.
 * No server-only import: the settings form uses it too.
 */
export const WEBHOOK_EVENT_TYPES = [
  "request.opened",
  "request.approved",
  "request.rejected",
  "request.applied",
  "request.stale",
  "request.expired",
  "pin.changed",
  "audit.checkpoint",
  "model.discovered",
  "drift.candidate",
  "drift.rejected",
  "shadow.started",
  "shadow.changed",
  "shadow.stopped",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What "Send test" delivers. Not subscribable: every webhook can be tested. */
export const WEBHOOK_TEST_EVENT = "webhook.test";

export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  "request.opened": "Promotion requested",
  "request.approved": "Promotion approved",
  "request.rejected": "Promotion rejected",
  "request.applied": "Promotion applied",
  "request.stale": "Promotion stale (pin moved)",
  "request.expired": "Promotion expired",
  "pin.changed": "Pin changed",
  "audit.checkpoint": "Audit checkpoint (signed head of the audit log)",
  "model.discovered": "New current model discovered in Nyckel",
  "drift.candidate": "Drift watch opened a candidate promotion",
  "drift.rejected": "Drift watch rejected a new model",
  "shadow.started": "Shadow evaluation started",
  "shadow.changed": "Shadow evaluation changed",
  "shadow.stopped": "Shadow evaluation stopped",
};

export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const WEBHOOK_FORMAT_LABELS: Record<WebhookFormat, string> = {
  json: "JSON (signed envelope)",
  slack: "Slack-compatible ({ \"text\": … })",
};

/** The PostgreSQL NOTIFY channel an emitted event is announced on at commit (wakes the dispatcher). */
export const WEBHOOK_NOTIFY_CHANNEL = "modelpin_webhook_events";
