"use client";

import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { actionErrors } from "@/components/ui/action-errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { createWebhookAction } from "@/lib/webhooks/actions";
import type { WebhookListItem } from "@/lib/webhooks/queries";
import { SecretValue } from "./secret-value";
import { DeliveryStatus, EventList, FormatBadge } from "./webhook-bits";
import { EMPTY_WEBHOOK, WebhookForm } from "./webhook-form";
import { textLinkClass } from "@/components/ui/text-link";

export function WebhooksClient({ webhooks, allowInsecure }: { webhooks: WebhookListItem[]; allowInsecure: boolean }) {
  const [adding, setAdding] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const [created, setCreated] = useState<{ id: string; name: string; secret: string } | null>(null);
  const create = useAction(createWebhookAction, {
    onSuccess: ({ data }) => {
      if (data) setCreated(data);
      setAdding(false);
      setFormKey((k) => k + 1);
    },
  });
  const { message, fieldErrors } = actionErrors(create.result);
  const openForm = () => {
    create.reset();
    setCreated(null);
    setAdding(true);
  };

  return (
    <section aria-labelledby="webhooks-heading" className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h2 id="webhooks-heading" className="text-lg font-semibold">
            Webhooks
          </h2>
          <p className="mt-1 max-w-prose text-sm text-zinc-600 dark:text-zinc-400">
            Modelpin POSTs signed JSON (HMAC-SHA256, see the README) to these URLs when promotion requests move or pins change. Failed deliveries
            are retried with exponential backoff; every attempt is in the webhook&apos;s delivery log.
          </p>
        </div>
        {adding || webhooks.length === 0 ? null : (
          <Button onClick={openForm} aria-controls="add-webhook" aria-expanded={adding}>
            Add webhook
          </Button>
        )}
      </div>

      {created ? (
        <div className="space-y-3 rounded-lg border border-green-200 bg-green-50 p-4 dark:border-green-900 dark:bg-green-950" data-testid="webhook-created">
          <p role="status" aria-live="polite" className="text-sm text-green-800 dark:text-green-200">
            Webhook “{created.name}” added. Copy its signing secret into your receiver to verify the X-Modelpin-Signature header (you can reveal
            it again on the webhook&apos;s page).
          </p>
          <SecretValue value={created.secret} />
          <Link href={`/settings/webhooks/${created.id}`} className="inline-block text-sm font-medium text-indigo-700 underline dark:text-indigo-300">
            Open “{created.name}” to send a test
          </Link>
        </div>
      ) : null}

      {adding ? (
        <div id="add-webhook" className="max-w-2xl">
          <h3 className="mb-2 text-base font-semibold">Add a webhook</h3>
          <WebhookForm
            key={formKey}
            idPrefix="new-webhook"
            autoFocus
            initial={EMPTY_WEBHOOK}
            allowInsecure={allowInsecure}
            submitLabel="Add webhook"
            pending={create.isPending}
            message={message}
            fieldErrors={fieldErrors}
            onSubmit={(v) => create.execute(v)}
            onCancel={() => {
              create.reset();
              setAdding(false);
            }}
          />
        </div>
      ) : null}

      {webhooks.length === 0 ? (
        adding ? null : (
          <EmptyState title="No webhooks yet" action={<Button onClick={openForm}>Add webhook</Button>}>
            Add a URL to notify a chat channel or a deployment system when a promotion is requested, approved, rejected, applied, goes stale or
            expires, or when a pin changes.
          </EmptyState>
        )
      ) : (
        <ListTable data-testid="webhooks-table" columns={["Name", "URL", "Events", "Format", "Status", "Last delivery"]}>
          {webhooks.map((w) => (
            <tr key={w.id} data-testid={`webhook-row-${w.name}`} className={w.active ? undefined : "text-zinc-500"}>
              <Td className="font-medium">
                <Link href={`/settings/webhooks/${w.id}`} className={textLinkClass}>
                  {w.name}
                </Link>
              </Td>
              <Td title={w.url} className="max-w-xs truncate font-mono text-xs">
                {w.url}
              </Td>
              <Td>
                <EventList events={w.events} />
              </Td>
              <Td>
                <FormatBadge format={w.format} />
              </Td>
              <Td>{w.active ? <Badge tone="green">Active</Badge> : <Badge>Paused</Badge>}</Td>
              <Td className="whitespace-nowrap">
                {w.lastDelivery ? (
                  <span className="flex flex-wrap items-center gap-2">
                    <DeliveryStatus statusCode={w.lastDelivery.statusCode} error={w.lastDelivery.error} />
                    <Time value={w.lastDelivery.createdAt} className="text-xs text-zinc-500" />
                  </span>
                ) : (
                  <span className="text-xs text-zinc-500">No deliveries yet</span>
                )}
              </Td>
            </tr>
          ))}
        </ListTable>
      )}
    </section>
  );
}
