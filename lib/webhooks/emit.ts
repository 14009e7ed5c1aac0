import "server-only";
import type { Tx } from "@/lib/db/client";
import { WEBHOOK_NOTIFY_CHANNEL, type WebhookEventType } from "./event-types";

// The list lives in event-types.ts (no server-only) so the settings form can use it.
export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./event-types";

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
 * dispatcher (lib/webhooks/dispatch.ts) fans it out to matching webhooks; a
 * NOTIFY (delivered by PostgreSQL only at commit) wakes it at once instead of
 * at its next poll.
 */
export async function emitWebhookEvent(tx: Tx, event: WebhookEventInput): Promise<{ id: string }> {
  const created = await tx.webhookEvent.create({
    data: {
      type: event.type,
      functionId: event.functionId ?? null,
      environmentId: event.environmentId ?? null,
      payload: JSON.parse(JSON.stringify(event.data)) as object,
    },
    select: { id: true },
  });
  await tx.$executeRaw`SELECT pg_notify(${WEBHOOK_NOTIFY_CHANNEL}, ${created.id})`;
  return created;
}
