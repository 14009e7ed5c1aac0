import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { DeliveryLog } from "@/components/webhooks/delivery-log";
import { RefreshButton, SendTestPanel, WebhookManagePanel } from "@/components/webhooks/webhook-detail-client";
import { EventList, FormatBadge } from "@/components/webhooks/webhook-bits";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Time } from "@/components/ui/time";
import { requirePagePermission } from "@/lib/session/current";
import { decodeParam } from "@/lib/url";
import { getWebhook, listWebhookDeliveries, webhookUrlPolicy } from "@/lib/webhooks/queries";
import { parseDeliveryCursor } from "@/lib/webhooks/schemas";
import { textLinkClass } from "@/components/ui/text-link";

export const metadata: Metadata = { title: "Webhook" };

export default async function WebhookPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ id: rawId }, search] = await Promise.all([params, searchParams]);
  await requirePagePermission("webhooks:manage");
  const id = decodeParam(rawId);
  if (!z.uuid().safeParse(id).success) notFound();
  const webhook = await getWebhook(id);
  if (!webhook) notFound();
  const rawCursor = typeof search.cursor === "string" ? search.cursor : undefined;
  const cursor = parseDeliveryCursor(rawCursor);
  const badCursor = Boolean(rawCursor) && !cursor;
  const log = await listWebhookDeliveries(webhook.id, { cursor });

  return (
    <div className="space-y-10">
      <div className="space-y-3">
        <Link href="/settings/webhooks" className={`text-sm ${textLinkClass}`}>
          ← All webhooks
        </Link>
        <div className="flex flex-wrap items-center gap-2">
          <h2 className="text-xl font-semibold">{webhook.name}</h2>
          {webhook.active ? <Badge tone="green">Active</Badge> : <Badge>Paused</Badge>}
          <FormatBadge format={webhook.format} />
        </div>
        <p className="font-mono text-sm break-all text-zinc-700 dark:text-zinc-300">{webhook.url}</p>
        <EventList events={webhook.events} />
        <p className="text-xs text-zinc-500">
          Added by {webhook.createdByLabel} on <Time value={webhook.createdAt} />.
        </p>
      </div>

      <section aria-labelledby="log-heading" className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h3 id="log-heading" className="text-base font-semibold">
            Delivery log
          </h3>
          <RefreshButton />
        </div>
        <SendTestPanel webhookId={webhook.id} />
        {badCursor ? <Alert>That page link is not valid any more. Showing the newest deliveries.</Alert> : null}
        <DeliveryLog webhookId={webhook.id} rows={log.rows} nextCursor={log.nextCursor} isFirstPage={!cursor} />
      </section>

      <WebhookManagePanel
        webhook={{ id: webhook.id, name: webhook.name, url: webhook.url, events: webhook.events, format: webhook.format, active: webhook.active, updatedAt: webhook.updatedAt }}
        allowInsecure={webhookUrlPolicy().allowInsecure}
      />
    </div>
  );
}
