import "server-only";
import { prisma } from "@/lib/db/client";
import { env } from "@/lib/env";
import { encodeDeliveryCursor } from "./schemas";

/** Reads for Settings → Webhooks (pages check webhooks:manage first). Plain objects; never the secret. */

/** Whether this server accepts http:// loopback URLs (MODELPIN_ALLOW_INSECURE_WEBHOOKS), for the form's hint. */
export function webhookUrlPolicy(): { allowInsecure: boolean } {
  return { allowInsecure: env().MODELPIN_ALLOW_INSECURE_WEBHOOKS };
}

export type DeliveryRow = {
  id: string;
  eventId: string | null;
  eventType: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number | null;
  responseBody: string | null;
  createdAt: string;
};

const deliverySelect = {
  id: true,
  eventId: true,
  eventType: true,
  attempt: true,
  statusCode: true,
  error: true,
  durationMs: true,
  responseBody: true,
  createdAt: true,
} as const;

function toRow(d: { id: bigint; eventId: string | null; eventType: string; attempt: number; statusCode: number | null; error: string | null; durationMs: number | null; responseBody: string | null; createdAt: Date }): DeliveryRow {
  return { ...d, id: String(d.id), createdAt: d.createdAt.toISOString() };
}

export type WebhookListItem = {
  id: string;
  name: string;
  url: string;
  events: string[];
  format: string;
  active: boolean;
  createdAt: string;
  createdByLabel: string;
  lastDelivery: Pick<DeliveryRow, "createdAt" | "statusCode" | "error" | "eventType" | "attempt"> | null;
};

export async function listWebhooks(): Promise<WebhookListItem[]> {
  const rows = await prisma.webhook.findMany({
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      name: true,
      url: true,
      events: true,
      format: true,
      active: true,
      createdAt: true,
      createdByLabel: true,
      deliveries: {
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: 1,
        select: { createdAt: true, statusCode: true, error: true, eventType: true, attempt: true },
      },
    },
  });
  return rows.map(({ deliveries, ...w }) => ({
    ...w,
    createdAt: w.createdAt.toISOString(),
    lastDelivery: deliveries[0] ? { ...deliveries[0], createdAt: deliveries[0].createdAt.toISOString() } : null,
  }));
}

export type WebhookDetail = Omit<WebhookListItem, "lastDelivery"> & { updatedAt: string };

export async function getWebhook(id: string): Promise<WebhookDetail | null> {
  const w = await prisma.webhook.findUnique({
    where: { id },
    select: { id: true, name: true, url: true, events: true, format: true, active: true, createdAt: true, updatedAt: true, createdByLabel: true },
  });
  return w ? { ...w, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() } : null;
}

export const DELIVERY_PAGE_SIZE = 50;

/**
 * One page of a webhook's delivery log, newest first, keyset-paginated on
 * (created_at, id) — the (webhook_id, created_at DESC) index serves it.
 */
export async function listWebhookDeliveries(
  webhookId: string,
  options: { cursor?: { createdAt: Date; id: bigint } | null; limit?: number } = {},
): Promise<{ rows: DeliveryRow[]; nextCursor: string | null }> {
  const limit = options.limit ?? DELIVERY_PAGE_SIZE;
  const c = options.cursor;
  const found = await prisma.webhookDelivery.findMany({
    where: {
      webhookId,
      ...(c ? { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: deliverySelect,
  });
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page.map(toRow), nextCursor: found.length > limit && last ? encodeDeliveryCursor(last) : null };
}
