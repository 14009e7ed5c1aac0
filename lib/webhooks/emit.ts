import "server-only";
import type { Tx } from "@/lib/db/client";

/**
 * The events a webhook can subscribe to (issue 6). Kept in one list so the
 * settings form, the validation schema and the README agree.
 */
export const WEBHOOK_EVENT_TYPES = [
  "request.opened",
  "request.approved",
  "request.rejected",
  "request.applied",
  "request.stale",
  "request.expired",
  "pin.changed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type WebhookEventInput = {
  type: WebhookEventType;
  functionId?: string | null;
  environmentId?: string | null;
  /** The event's JSON body (`data` in the delivered envelope). Plain JSON values only. */
  data: Record<string, unknown>;
};

/**
 * Records an event in the webhook outbox inside the caller's transaction, so
 * an event exists exactly when the change it describes committed. The
 * dispatcher (lib/webhooks/dispatch.ts) fans it out to matching webhooks.
 */
export async function emitWebhookEvent(tx: Tx, event: WebhookEventInput): Promise<{ id: string }> {
  return tx.webhookEvent.create({
    data: {
      type: event.type,
      functionId: event.functionId ?? null,
      environmentId: event.environmentId ?? null,
      payload: JSON.parse(JSON.stringify(event.data)) as object,
    },
    select: { id: true },
  });
}
