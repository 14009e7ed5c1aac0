"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState, useTransition } from "react";
import { actionErrors } from "@/components/ui/action-errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import {
  deleteWebhookAction,
  revealWebhookSecretAction,
  rotateWebhookSecretAction,
  sendTestWebhookAction,
  updateWebhookAction,
} from "@/lib/webhooks/actions";
import type { WebhookEventType, WebhookFormat } from "@/lib/webhooks/event-types";
import type { WebhookDetail } from "@/lib/webhooks/queries";
import { SecretValue } from "./secret-value";
import { WebhookForm } from "./webhook-form";

/** What the manage panel edits. */
type WebhookSettings = Pick<WebhookDetail, "id" | "name" | "url" | "events" | "format" | "active" | "updatedAt">;

/** "Send test": one signed webhook.test delivery now; the result shows here and in the log below. */
export function SendTestPanel({ webhookId }: { webhookId: string }) {
  const send = useAction(sendTestWebhookAction);
  const r = send.result.data;
  const err = actionErrors(send.result).message;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <Button onClick={() => send.execute({ id: webhookId })} pending={send.isPending}>
          Send test
        </Button>
        <span className="text-sm text-zinc-600 dark:text-zinc-400">Delivers one signed <code className="font-mono">webhook.test</code> event now, without retries.</span>
      </div>
      {r ? (
        r.ok ? (
          <Alert tone="success">
            Test delivered: the receiver answered HTTP {r.statusCode} in {r.durationMs} ms.
          </Alert>
        ) : (
          <Alert>
            Test not delivered: {r.error}
          </Alert>
        )
      ) : null}
      {err ? <Alert>{err}</Alert> : null}
    </div>
  );
}

export function RefreshButton({ label = "Refresh" }: { label?: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  return (
    <Button variant="secondary" pending={pending} onClick={() => startTransition(() => router.refresh())}>
      {label}
    </Button>
  );
}

/** Edit, secret (reveal / rotate) and delete of one webhook. */
export function WebhookManagePanel({ webhook, allowInsecure }: { webhook: WebhookSettings; allowInsecure: boolean }) {
  const router = useRouter();
  const [saved, setSaved] = useState<string | null>(null);
  const update = useAction(updateWebhookAction, {
    onExecute: () => setSaved(null),
    onSuccess: ({ data }) => setSaved(data ? `Saved. “${data.name}” is ${data.active ? "active" : "paused"}.` : "Saved."),
  });
  const updateErrors = actionErrors(update.result);

  const [secret, setSecret] = useState<{ value: string; rotated: boolean } | null>(null);
  const reveal = useAction(revealWebhookSecretAction, { onSuccess: ({ data }) => data && setSecret({ value: data.secret, rotated: false }) });
  const [confirmRotate, setConfirmRotate] = useState(false);
  const rotate = useAction(rotateWebhookSecretAction, {
    onSuccess: ({ data }) => {
      setConfirmRotate(false);
      if (data) setSecret({ value: data.secret, rotated: true });
    },
    onError: () => setConfirmRotate(false),
  });
  const secretError = actionErrors(reveal.result).message ?? actionErrors(rotate.result).message;

  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useAction(deleteWebhookAction, {
    onSuccess: () => {
      setConfirmDelete(false);
      router.push("/settings/webhooks");
    },
    onError: () => setConfirmDelete(false),
  });
  const deleteError = actionErrors(remove.result).message;

  return (
    <div className="space-y-10">
      <section aria-labelledby="edit-heading" className="max-w-2xl">
        <h3 id="edit-heading" className="mb-2 text-base font-semibold">
          Settings
        </h3>
        <WebhookForm
          key={webhook.updatedAt /* show the saved (normalized) values after a save */}
          idPrefix="edit-webhook"
          initial={{
            name: webhook.name,
            url: webhook.url,
            events: webhook.events as WebhookEventType[],
            format: webhook.format as WebhookFormat,
            active: webhook.active,
          }}
          allowInsecure={allowInsecure}
          submitLabel="Save changes"
          pending={update.isPending}
          message={updateErrors.message}
          success={saved}
          fieldErrors={updateErrors.fieldErrors}
          onSubmit={(v) => update.execute({ ...v, id: webhook.id })}
        />
      </section>

      <section aria-labelledby="secret-heading" className="max-w-2xl space-y-3">
        <div>
          <h3 id="secret-heading" className="text-base font-semibold">
            Signing secret
          </h3>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Receivers check <code className="font-mono">X-Modelpin-Signature</code> with this secret. It is stored encrypted. Rotating it replaces it
            at once: deliveries signed with the old secret stop verifying.
          </p>
        </div>
        {secret ? (
          <div className="space-y-2">
            {secret.rotated ? <Alert tone="success">Secret rotated. Update your receiver with the new secret.</Alert> : null}
            <SecretValue value={secret.value} />
          </div>
        ) : null}
        {secretError ? <Alert>{secretError}</Alert> : null}
        <div className="flex flex-wrap gap-2">
          {secret ? (
            <Button variant="secondary" onClick={() => setSecret(null)}>
              Hide secret
            </Button>
          ) : (
            <Button variant="secondary" pending={reveal.isPending} onClick={() => reveal.execute({ id: webhook.id })}>
              Reveal secret
            </Button>
          )}
          <Button variant="secondary" onClick={() => setConfirmRotate(true)}>
            Rotate secret
          </Button>
        </div>
        {/* Mounted only while open: one dialog (and one dialog title id) on the page at a time. */}
        {confirmRotate ? (
          <ConfirmDialog
            open
            title="Rotate the signing secret?"
            confirmLabel="Rotate secret"
            pending={rotate.isPending}
            onCancel={() => setConfirmRotate(false)}
            onConfirm={() => rotate.execute({ id: webhook.id })}
          >
            A new secret replaces the current one immediately. Until the receiver has the new secret, it will reject Modelpin&apos;s deliveries.
          </ConfirmDialog>
        ) : null}
      </section>

      <section aria-labelledby="delete-heading" className="max-w-2xl space-y-3 rounded-lg border border-red-200 p-4 dark:border-red-900">
        <h3 id="delete-heading" className="text-base font-semibold">
          Delete this webhook
        </h3>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Deliveries stop, and its delivery log is deleted with it. The audit log keeps the record of the webhook. To stop deliveries for a while,
          untick “Active” instead.
        </p>
        {deleteError ? <Alert>{deleteError}</Alert> : null}
        <Button variant="danger" onClick={() => setConfirmDelete(true)}>
          Delete webhook
        </Button>
        {confirmDelete ? (
          <ConfirmDialog
            open
            title={`Delete “${webhook.name}”?`}
            confirmLabel="Delete webhook"
            pending={remove.isPending}
            onCancel={() => setConfirmDelete(false)}
            onConfirm={() => remove.execute({ id: webhook.id })}
          >
            {webhook.url} will receive no more events, and this webhook&apos;s delivery log is deleted. This cannot be undone.
          </ConfirmDialog>
        ) : null}
      </section>
    </div>
  );
}
