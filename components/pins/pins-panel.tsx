"use client";

import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { setPinAction } from "@/lib/pins/actions";
import { PendingLinks } from "@/components/promotions/pending-links";
import { PromotedBy, type PromotedByView } from "@/components/audit/set-by";
import { BreakGlassBadge, ModelRef } from "./model-ref";
import { modelLabel, type ModelOption, type PinsPanelRow } from "./types";
import { LimitedTextarea } from "@/components/ui/limited-text";
import { TEXT_LIMITS } from "@/lib/text-limits";
import { ClampedText } from "@/components/ui/clamped-text";

const LATEST = "__latest__";

/** Environments × current pin of one function, with the pin/unpin (and break-glass) forms. */
export function PinsPanel({
  functionId,
  rows,
  models,
  canWrite,
  canBreakGlass,
  promotedBy = {},
}: {
  functionId: string;
  /** By environment id: the applied promotion request behind the current pin, if one set it. */
  promotedBy?: Record<string, PromotedByView>;
  rows: PinsPanelRow[];
  models: ModelOption[];
  canWrite: boolean;
  canBreakGlass: boolean;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      {done ? <Alert tone="success">{done}</Alert> : null}
      <ListTable columns={["Environment", "Pinned model", "Set by", "Why", { label: "Actions", srOnly: true }]}>
        {rows.map(({ environment: env, pin, pending }) => {
          const mayChange = canWrite && (!env.protected || canBreakGlass);
          return (
            <tr key={env.id} data-testid={`pin-row-${env.slug}`} data-environment-id={env.id} data-version={pin?.version ?? 0} className="align-top">
              <Td density="relaxed">
                <div className="font-medium">{env.name}</div>
                {env.protected ? <Badge tone="amber">protected</Badge> : null}
              </Td>
              <Td data-testid="pin-model" density="relaxed">
                <ModelRef model={pin?.model ?? null} />
                <div className="mt-1 text-xs text-zinc-500">
                  version {pin?.version ?? 0}
                  {pin?.kind === "rollback" ? ` · rollback to v${pin.restoredVersion}` : ""}
                </div>
                {pin?.breakGlass ? <BreakGlassBadge /> : null}
                <PendingLinks requests={pending} />
              </Td>
              <Td density="relaxed" className="text-zinc-600 dark:text-zinc-400">
                {pin ? (
                  <>
                    {promotedBy[env.id] ? <PromotedBy value={promotedBy[env.id]!} /> : <div>{pin.updatedBy}</div>}
                    <Time value={pin.updatedAt} className="text-xs" />
                  </>
                ) : (
                  "never pinned"
                )}
              </Td>
              <Td data-testid="pin-reason" density="relaxed" className="max-w-sm">
                {pin?.reason ? <ClampedText text={pin.reason} /> : <span className="text-zinc-500">—</span>}
              </Td>
              <Td align="right" density="relaxed">
                {env.protected ? (
                  <p className="mb-2 max-w-56 text-left text-xs text-zinc-500">
                    Protected: changes go through promotion requests
                    {env.approvalsRequired ? ` (${env.approvalsRequired} approval${env.approvalsRequired === 1 ? "" : "s"})` : ""}.
                    {canBreakGlass ? " As an admin you can break glass, with a reason." : ""}
                  </p>
                ) : null}
                {mayChange ? (
                  <Button variant={env.protected ? "danger" : "secondary"} onClick={() => setOpen(open === env.id ? null : env.id)} aria-expanded={open === env.id}>
                    {env.protected ? "Break glass…" : "Change pin"}
                  </Button>
                ) : null}
              </Td>
            </tr>
          );
        })}
      </ListTable>
      {rows.map((row) =>
        open === row.environment.id ? (
          <PinChangeForm
            key={`${row.environment.id}-${row.pin?.version ?? 0}`}
            functionId={functionId}
            row={row}
            models={models}
            onCancel={() => setOpen(null)}
            onDone={(text) => {
              setOpen(null);
              setDone(text);
            }}
          />
        ) : null,
      )}
    </div>
  );
}

function PinChangeForm({
  functionId,
  row,
  models,
  onCancel,
  onDone,
}: {
  functionId: string;
  row: PinsPanelRow;
  models: ModelOption[];
  onCancel: () => void;
  onDone: (text: string) => void;
}) {
  const env = row.environment;
  const breakGlass = env.protected;
  const [choice, setChoice] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const { execute, result, isPending, reset } = useAction(setPinAction, {
    onSuccess: ({ data }) => {
      setConfirming(false);
      onDone(
        data
          ? `${data.environment} ${data.model ? `is now pinned to ${modelLabel(data.model)}` : "now follows latest (not pinned)"} (version ${data.version}${data.breakGlass ? ", break-glass" : ""}).`
          : "Pin changed.",
      );
    },
    onError: () => setConfirming(false),
  });
  const { message, fieldErrors } = actionErrors(result);
  const current = row.pin?.model?.id ?? null;
  const submit = () => {
    reset();
    const unpin = choice === LATEST;
    execute({
      environmentId: env.id,
      functionId,
      modelRefId: unpin || !choice ? null : choice,
      expectedVersion: row.pin?.version ?? 0,
      reason,
      kind: unpin ? "unpin" : "pin",
      breakGlass,
    });
  };
  const chosen = choice === LATEST ? null : models.find((m) => m.id === choice) ?? null;
  return (
    <form
      noValidate
      aria-label={`${breakGlass ? "Break glass" : "Change the pin"} in ${env.name}`}
      data-testid={`pin-form-${env.slug}`}
      className={`space-y-4 rounded-lg bg-white p-5 ring-1 dark:bg-zinc-900 ${breakGlass ? "ring-red-300 dark:ring-red-900" : "ring-zinc-200 dark:ring-zinc-800"}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (breakGlass) setConfirming(true);
        else submit();
      }}
    >
      <h3 className="text-base font-semibold">
        {breakGlass ? `Break glass: change ${env.name} directly` : `Change the pin in ${env.name}`}
      </h3>
      {breakGlass ? (
        <Alert tone="info">
          {env.name} is protected. A break-glass change skips the promotion process; it is recorded and shown as break-glass everywhere. Give a
          reason others can check later.
        </Alert>
      ) : null}
      {message ? <Alert>{message}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Model" name={`pin-model-${env.slug}`} errors={fieldErrors.modelRefId}>
          {(p) => (
            <select {...p} value={choice} onChange={(e) => setChoice(e.target.value)} className={inputClass}>
              <option value="">Choose a model…</option>
              {models.map((m) => (
                <option key={m.id} value={m.id} disabled={m.id === current}>
                  {modelLabel(m)}
                  {m.id === current ? " — current" : ""}
                </option>
              ))}
              <option value={LATEST} disabled={current === null}>
                Latest — not pinned (unpin)
              </option>
            </select>
          )}
        </Field>
        <Field label="Reason" name={`pin-reason-${env.slug}`} errors={fieldErrors.reason} hint="Required; recorded in the audit log (at most 2,000 characters).">
          {(p) => <LimitedTextarea {...p} max={TEXT_LIMITS.reason} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} className={inputClass} />}
        </Field>
      </div>
      <div className="flex gap-2">
        <Button type="submit" variant={breakGlass ? "danger" : "primary"} pending={isPending && !breakGlass}>
          {breakGlass ? "Break glass…" : choice === LATEST ? "Unpin" : "Pin"}
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
      <ConfirmDialog
        open={confirming}
        title={`Break glass in ${env.name}?`}
        confirmLabel="Break glass"
        pending={isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={submit}
      >
        <p>
          {modelLabel(row.pin?.model ?? null)} → {choice ? modelLabel(chosen) : "(no model chosen)"}
        </p>
        <p className="mt-2">This skips the promotion process for a protected environment and is marked as break-glass in the audit log.</p>
      </ConfirmDialog>
    </form>
  );
}
