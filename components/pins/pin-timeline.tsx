"use client";

import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, inputClass } from "@/components/ui/field";
import { LimitedTextarea } from "@/components/ui/limited-text";
import { actionErrors } from "@/components/ui/action-errors";
import { Time } from "@/components/ui/time";
import { setPinAction } from "@/lib/pins/actions";
import { TEXT_LIMITS } from "@/lib/text-limits";
import { BreakGlassBadge, ModelRef } from "./model-ref";
import type { CurrentPin, PinEnvironment, PinRevisionRow } from "@/lib/pins/queries";
import { modelLabel } from "./types";
import { textLinkClass } from "@/components/ui/text-link";
import { ClampedText } from "@/components/ui/clamped-text";

const KIND_LABEL: Record<string, string> = { pin: "pinned", unpin: "unpinned", rollback: "rolled back" };

type Target = { version: number; model: PinRevisionRow["model"]; createdAt: Date | null; actor: string | null };

/** The pin history of one function in one environment, newest first, with rollback to any earlier version. */
export function PinTimeline({
  functionId,
  environment,
  current,
  revisions,
  canRollBack,
  canRequest = false,
}: {
  functionId: string;
  environment: PinEnvironment;
  current: CurrentPin | null;
  revisions: PinRevisionRow[];
  canRollBack: boolean;
  /** May open a promotion request: where a direct rollback is not allowed (protected), offer a request back instead. */
  canRequest?: boolean;
}) {
  const [target, setTarget] = useState<Target | null>(null);
  const [reason, setReason] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const currentVersion = current?.version ?? 0;
  const { execute, result, isPending, reset } = useAction(setPinAction, {
    onSuccess: ({ data }) => {
      setTarget(null);
      setReason("");
      setDone(data ? `Rolled back ${data.environment} to ${modelLabel(data.model)} (now version ${data.version}${data.breakGlass ? ", break-glass" : ""}).` : "Rolled back.");
    },
  });
  const { message, fieldErrors } = actionErrors(result);
  const open = (t: Target) => {
    reset();
    setDone(null);
    setReason("");
    setTarget(t);
  };
  const eligible = (t: Target) => t.version < currentVersion && !t.model?.retiredAt && (t.model?.id ?? null) !== (current?.model?.id ?? null);
  // In a protected environment an editor cannot roll back directly: a promotion request back to that model goes through the policy.
  const requestsInstead = !canRollBack && canRequest && environment.protected;
  const rollbackButton = (t: Target) =>
    !eligible(t) ? null : canRollBack ? (
      <Button variant="ghost" onClick={() => open(t)}>
        Roll back to this
      </Button>
    ) : requestsInstead ? (
      <Link
        href={`/functions/${encodeURIComponent(functionId)}?${new URLSearchParams({
          requestEnvironment: environment.id,
          requestTarget: t.model?.id ?? "latest",
          requestReason: `Roll back ${environment.name} to v${t.version}`,
        })}#request`}
        className={buttonClass("ghost")}
      >
        Request rollback
      </Link>
    ) : null;

  return (
    <div data-testid={`timeline-${environment.slug}`}>
      <p className="mb-2 text-xs">
        <Link
          href={`/audit?function=${encodeURIComponent(functionId)}&environment=${environment.id}`}
          className={textLinkClass}
        >
          {environment.name} pin changes in the audit log
        </Link>
      </p>
      {done ? <Alert tone="success" className="mb-2">{done}</Alert> : null}
      {requestsInstead && revisions.length > 0 ? (
        <p className="mb-2 text-xs text-zinc-600 dark:text-zinc-400" data-testid="rollback-hint">
          {environment.name} is protected: roll back with a promotion request back to an earlier version (others approve it), or ask an admin,
          who can break glass and roll back at once.
        </p>
      ) : null}
      {revisions.length === 0 ? (
        <p className="text-sm text-zinc-500">Never pinned: {environment.name} has always used latest.</p>
      ) : (
        <ol className="divide-y divide-zinc-100 rounded-lg bg-white ring-1 ring-zinc-200 dark:divide-zinc-800 dark:bg-zinc-900 dark:ring-zinc-800">
          {revisions.map((r) => (
            <li key={r.id} className="flex flex-wrap items-start gap-x-4 gap-y-1 px-4 py-3 text-sm" data-testid="timeline-entry">
              <span className="w-10 shrink-0 font-mono text-xs text-zinc-500">v{r.version}</span>
              <div className="min-w-0 flex-1">
                <div>
                  <span className="text-zinc-500">{KIND_LABEL[r.kind] ?? r.kind}</span> <ModelRef model={r.model} />
                  {r.kind === "rollback" ? <span className="text-xs text-zinc-500"> (to v{r.restoredVersion})</span> : null}{" "}
                  {r.breakGlass ? <BreakGlassBadge /> : null} {r.version === currentVersion ? <Badge tone="green">current</Badge> : null}
                </div>
                <div className="text-xs text-zinc-500">
                  by {r.actor} · <Time value={r.createdAt} /> · audit event {r.auditEventId}
                </div>
                <ClampedText text={r.reason} className="mt-1" testId="timeline-reason" />
              </div>
              {rollbackButton({ version: r.version, model: r.model, createdAt: r.createdAt, actor: r.actor })}
            </li>
          ))}
          {revisions.at(-1)?.version === 1 ? (
            <li className="flex flex-wrap items-start gap-x-4 px-4 py-3 text-sm text-zinc-500">
              <span className="w-10 shrink-0 font-mono text-xs">v0</span>
              <div className="flex-1">latest — before the first pin</div>
              {rollbackButton({ version: 0, model: null, createdAt: null, actor: null })}
            </li>
          ) : null}
        </ol>
      )}
      <ConfirmDialog
        open={target !== null}
        title={`Roll back ${environment.name}?`}
        confirmLabel={environment.protected ? "Break glass and roll back" : "Roll back"}
        tone={environment.protected ? "danger" : "primary"}
        pending={isPending}
        onCancel={() => setTarget(null)}
        onConfirm={() =>
          target &&
          execute({
            environmentId: environment.id,
            functionId,
            modelRefId: target.model?.id ?? null,
            expectedVersion: currentVersion,
            reason,
            kind: "rollback",
            restoreVersion: target.version,
            breakGlass: environment.protected,
          })
        }
      >
        {target ? (
          <div className="space-y-3" data-testid="rollback-preview">
            <dl className="grid grid-cols-[4rem_1fr] gap-x-2 gap-y-1">
              <dt className="font-medium">From</dt>
              <dd>
                <ModelRef model={current?.model ?? null} /> <span className="text-xs">(v{currentVersion})</span>
              </dd>
              <dt className="font-medium">To</dt>
              <dd>
                <ModelRef model={target.model} />{" "}
                <span className="text-xs">
                  (v{target.version}
                  {target.createdAt ? (
                    <>
                      , pinned <Time value={target.createdAt} /> by {target.actor}
                    </>
                  ) : (
                    ", before the first pin"
                  )}
                  )
                </span>
              </dd>
            </dl>
            {environment.protected ? <p className="text-red-700 dark:text-red-300">{environment.name} is protected: this is a break-glass rollback.</p> : null}
            {message ? <Alert>{message}</Alert> : null}
            <Field label="Reason for the rollback" name={`rollback-reason-${environment.slug}`} errors={fieldErrors.reason}>
              {(p) => <LimitedTextarea {...p} max={TEXT_LIMITS.reason} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} className={inputClass} />}
            </Field>
          </div>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
