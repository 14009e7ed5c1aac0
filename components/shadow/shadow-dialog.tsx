"use client";

import { useAction } from "next-safe-action/hooks";
import { useId, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { actionErrors } from "@/components/ui/action-errors";
import { Button } from "@/components/ui/button";
import { EnvironmentField } from "@/components/ui/environment-field";
import { Field, inputClass } from "@/components/ui/field";
import { ModalDialog } from "@/components/ui/modal-dialog";
import { changeShadowAction, startShadowAction } from "@/lib/shadow/actions";
import { modelLabel } from "@/lib/models/label";
import { SHADOW_LIMITS } from "@/lib/shadow/schemas";
import { type ShadowEnvironmentOption, type ShadowModelOption, type ShadowRowView } from "./types";

/** `YYYY-MM-DDTHH:MM` in UTC, the value of the end-time field. */
const utcMinutes = (d: Date) => d.toISOString().slice(0, 16);

/** The field's UTC value as an ISO time; empty or malformed text is passed on for the server to refuse with its message. */
const toIso = (v: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00.000Z` : v);

type Props = {
  functionId: string;
  onClose: () => void;
  onDone: (message: string) => void;
} & (
  | { mode: "start"; environments: ShadowEnvironmentOption[]; models: ShadowModelOption[]; shadow?: undefined }
  | { mode: "change"; shadow: ShadowRowView; environments?: undefined; models?: undefined }
);

/**
 * "Start a shadow" and "Change the shadow" (native <dialog>, modal: focus stays inside and Esc closes).
 * The server checks everything again (zod, the candidate is registered, not retired and not the pin) and
 * its field errors appear under their fields.
 */
export function ShadowDialog(props: Props) {
  const { functionId, onClose, onDone, mode } = props;
  const titleId = useId();
  const current = props.shadow;
  const [environmentId, setEnvironmentId] = useState(current?.environment.id ?? "");
  const [candidate, setCandidate] = useState(current?.candidate.modelRefId ?? "");
  const [share, setShare] = useState(String(current?.sharePct ?? 10));
  const [perSecond, setPerSecond] = useState(String(current?.maxPerSecond ?? SHADOW_LIMITS.defaultMaxPerSecond));
  const [endsAt, setEndsAt] = useState(() => utcMinutes(current ? new Date(current.endsAt) : new Date(Date.now() + SHADOW_LIMITS.defaultDays * 86_400_000)));
  const [keepInputs, setKeepInputs] = useState(current?.keepInputs ?? false);
  const [reason, setReason] = useState("");

  const start = useAction(startShadowAction, { onSuccess: ({ data }) => data && onDone(data.message) });
  const change = useAction(changeShadowAction, { onSuccess: ({ data }) => data && onDone(data.message) });
  const pending = start.isPending || change.isPending;
  const { message, fieldErrors } = actionErrors(mode === "start" ? start.result : change.result);

  const env = props.environments?.find((e) => e.id === environmentId) ?? null;
  const candidates = (props.models ?? []).filter((m) => m.id !== env?.pinModelRefId);
  const id = (name: string) => `shadow-${mode}-${name}`;
  const title = mode === "start" ? "Start a shadow" : `Change the shadow in ${current!.environment.name}`;

  const submit = () => {
    const common = { sharePct: Number(share), maxPerSecond: Number(perSecond), endsAt: toIso(endsAt), keepInputs, reason };
    if (mode === "start") {
      start.reset();
      start.execute({ functionId, environmentId, candidateModelRefId: candidate, ...common });
    } else {
      change.reset();
      change.execute({ shadowId: current!.id, ...common });
    }
  };

  return (
    // Shown as a modal once mounted (the panel mounts it only while open): focus stays inside, Esc closes.
    <ModalDialog open titleId={titleId} onCancel={onClose} width="max-w-xl">
      <form
        noValidate
        aria-labelledby={titleId}
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id={titleId} className="text-lg font-semibold">
          {title}
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          A share of the environment&apos;s calls through Modelpin&apos;s invoke proxy is sent again, after the caller has its answer, to the candidate
          model. Callers&apos; answers never change or wait; mirrored calls use Nyckel quota only when serving leaves it free, and are dropped otherwise.
        </p>
        {message ? <Alert>{message}</Alert> : null}
        {mode === "start" ? (
          <div className="grid gap-4 sm:grid-cols-2">
            <EnvironmentField name={id("environment")} errors={fieldErrors.environmentId} value={environmentId} onChange={setEnvironmentId} environments={props.environments}
              note={(e) => (e.activeShadowId ? " — has a shadow" : "")} disabled={(e) => e.activeShadowId !== null} />
            <Field
              label="Candidate model"
              name={id("candidate")}
              errors={fieldErrors.candidateModelRefId}
              hint={env ? `${env.name} serves ${env.pinLabel} now.` : "Registered, not retired, not the environment's pin."}
            >
              {(p) => (
                <select {...p} value={candidate} onChange={(e) => setCandidate(e.target.value)} className={inputClass}>
                  <option value="">Choose a model…</option>
                  {candidates.map((m) => (
                    <option key={m.id} value={m.id}>
                      {modelLabel(m)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        ) : (
          <p className="text-sm">
            Candidate: <strong>{current!.candidate.label}</strong>
          </p>
        )}
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Share mirrored (%)" name={id("share")} errors={fieldErrors.sharePct} hint={`${SHADOW_LIMITS.minSharePct}–${SHADOW_LIMITS.maxSharePct} % of proxied calls.`}>
            {(p) => (
              <input {...p} type="number" inputMode="numeric" min={SHADOW_LIMITS.minSharePct} max={SHADOW_LIMITS.maxSharePct} value={share} onChange={(e) => setShare(e.target.value)} className={inputClass} />
            )}
          </Field>
          <Field label="Max calls per second" name={id("per-second")} errors={fieldErrors.maxPerSecond} hint="Per Modelpin instance.">
            {(p) => (
              <input {...p} type="number" inputMode="numeric" min={1} max={SHADOW_LIMITS.maxPerSecond} value={perSecond} onChange={(e) => setPerSecond(e.target.value)} className={inputClass} />
            )}
          </Field>
          <Field label="Ends (UTC)" name={id("ends")} errors={fieldErrors.endsAt} hint={mode === "start" ? `Default: in ${SHADOW_LIMITS.defaultDays} days.` : undefined}>
            {(p) => <input {...p} type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} className={inputClass} />}
          </Field>
        </div>
        <div className="space-y-1">
          <label className="flex items-start gap-2 text-sm font-medium">
            <input
              type="checkbox"
              name={id("keep-inputs")}
              checked={keepInputs}
              onChange={(e) => setKeepInputs(e.target.checked)}
              aria-describedby={id("keep-inputs-warning")}
              className="mt-0.5 size-4 rounded border-zinc-300 text-indigo-600 focus:ring-indigo-500"
            />
            Keep inputs where the models disagree
          </label>
          <p id={id("keep-inputs-warning")} className={keepInputs ? "text-sm text-amber-800 dark:text-amber-300" : "text-xs text-zinc-600 dark:text-zinc-400"}>
            {current?.keepInputs && !keepInputs
              ? "Turning it off deletes the inputs kept so far; from then on only a SHA-256 fingerprint of each input is stored."
              : keepInputs
              ? `Warning: up to ${SHADOW_LIMITS.reservoirSize} of your users' real inputs (texts, images, whatever they send) are then stored in Modelpin's database, and every member who can read this function can see them. Only turn it on if your users' data may be kept and shown to staff.`
              : "Off: Modelpin stores only a SHA-256 fingerprint of each input, never the input itself."}
          </p>
          {fieldErrors.keepInputs ? <p className="text-sm text-red-600 dark:text-red-400">{fieldErrors.keepInputs.join(" ")}</p> : null}
        </div>
        <Field label="Reason (optional)" name={id("reason")} errors={fieldErrors.reason} hint="Recorded in the audit log.">
          {(p) => <input {...p} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} className={inputClass} />}
        </Field>
        <div className="flex justify-end gap-2">
          <Button type="button" variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={pending}>
            {mode === "start" ? "Start shadow" : "Save changes"}
          </Button>
        </div>
      </form>
    </ModalDialog>
  );
}
