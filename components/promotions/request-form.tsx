"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { RunProgress } from "@/components/compare/run-progress";
import { Alert } from "@/components/ui/alert";
import { actionErrors } from "@/components/ui/action-errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EnvironmentField } from "@/components/ui/environment-field";
import { Field, inputClass } from "@/components/ui/field";
import { formatUtc } from "@/components/ui/time";
import { startComparisonRunAction } from "@/lib/compare/actions";
import { createPromotionRequestAction } from "@/lib/promotions/actions";
import type { RequestFormData } from "@/lib/promotions/queries";
import { evaluateGate, formatPct, gatePolicyOf, matchEvidence, type EvidenceRun } from "@/lib/promotions/gate";
import { modelText, policyParts } from "./format";
import { promotionKeys } from "./query-keys";
import { textLinkClass } from "@/components/ui/text-link";
import { LimitedTextarea } from "@/components/ui/limited-text";
import { TEXT_LIMITS } from "@/lib/text-limits";

/**
 * A prefill (the function page's request… query): `evidenceRunId` selects that run as evidence when it matches,
 * `evidenceShadowSnapshotId` that frozen shadow report ("Use as evidence" on a shadow's report).
 */
export type RequestFormInitial = { environmentId: string; target: string; reason: string; evidenceRunId?: string; evidenceShadowSnapshotId?: string };

const LATEST = "latest";
const NO_EVIDENCE = "none";
/** Evidence choices that are frozen shadow reports: `shadow:<snapshot id>` (runs are their bare id). */
const SHADOW = "shadow:";

const toRun = (r: RequestFormData["runs"][number]): EvidenceRun => r;

/**
 * The promotion request form (a function's page, and "Request again" on a
 * stale or expired request): environment, target, reason, evidence. It shows
 * the environment's policy and the evidence gate's verdict before submit,
 * with the same rules the service enforces (lib/promotions/gate.ts).
 */
export function RequestForm({
  functionId,
  data,
  now,
  canRunComparisons,
  samplesHref,
  initial,
  idPrefix = "request",
}: {
  functionId: string;
  data: RequestFormData;
  /** The server's time when the data was loaded (ISO), for the 24-hour rule of evidence against latest. */
  now: string;
  canRunComparisons: boolean;
  samplesHref: string;
  initial?: RequestFormInitial;
  idPrefix?: string;
}) {
  const queryClient = useQueryClient();
  const [environmentId, setEnvironmentId] = useState(initial?.environmentId ?? "");
  const [target, setTarget] = useState(initial?.target ?? "");
  const [reason, setReason] = useState(initial?.reason ?? "");
  const [evidenceChoice, setEvidenceChoice] = useState<string | null>(
    initial?.evidenceShadowSnapshotId ? `${SHADOW}${initial.evidenceShadowSnapshotId}` : initial?.evidenceRunId || null,
  );
  const [sampleSetId, setSampleSetId] = useState(data.sampleSets[0]?.id ?? "");
  const [startedRunId, setStartedRunId] = useState<string | null>(null);
  const [done, setDone] = useState<{ id: string; number: number; message: string } | null>(null);

  const env = data.environments.find((e) => e.id === environmentId) ?? null;
  const targetModel = target && target !== LATEST ? (data.models.find((m) => m.id === target) ?? null) : null;
  const targetChosen = target === LATEST || targetModel !== null;
  const targetModelId = targetModel?.modelId ?? null;
  const alreadyPinned = env !== null && targetChosen && (env.pin.modelRefId ?? null) === (targetModel?.id ?? null);

  const evidenceTarget = env ? { functionId, environmentName: env.name, currentModelId: env.pin.modelId, targetModelId, now: new Date(now) } : null;
  const matching = evidenceTarget && targetChosen ? data.runs.filter((r) => matchEvidence(toRun(r), evidenceTarget).ok) : [];
  const matchingShadows = evidenceTarget && targetChosen ? data.shadowSnapshots.filter((s) => matchEvidence(s, evidenceTarget).ok) : [];
  const shadowChoice = evidenceChoice?.startsWith(SHADOW) ? (matchingShadows.find((s) => `${SHADOW}${s.id}` === evidenceChoice) ?? null) : null;
  // Default evidence: the run started here, else the newest matching run; "none" only when chosen.
  const evidenceRunId =
    evidenceChoice === NO_EVIDENCE || shadowChoice
      ? ""
      : evidenceChoice && matching.some((r) => r.id === evidenceChoice)
        ? evidenceChoice
        : startedRunId && matching.some((r) => r.id === startedRunId)
          ? startedRunId
          : (matching[0]?.id ?? "");
  const evidenceRun = matching.find((r) => r.id === evidenceRunId) ?? null;
  const evidence: EvidenceRun | null = shadowChoice ?? (evidenceRun ? toRun(evidenceRun) : null);
  const verdict = env && evidenceTarget && targetChosen && !alreadyPinned ? evaluateGate(evidence, evidenceTarget, gatePolicyOf(env)) : null;
  const otherRuns = data.runs.length - matching.length;
  const open = env ? data.openRequests.filter((r) => r.environmentId === env.id) : [];

  const create = useAction(createPromotionRequestAction, {
    onSuccess: ({ data: outcome }) => {
      if (!outcome) return;
      setDone({ id: outcome.id, number: outcome.number, message: outcome.message });
      setReason("");
      setEvidenceChoice(null);
      void queryClient.invalidateQueries({ queryKey: promotionKeys.all });
    },
  });
  const start = useAction(startComparisonRunAction, { onSuccess: ({ data: run }) => run && setStartedRunId(run.id) });
  const { message, fieldErrors } = actionErrors(create.result);
  const startError = actionErrors(start.result).message;
  const id = (name: string) => `${idPrefix}-${name}`;

  const submit = () => {
    setDone(null);
    create.reset();
    create.execute({
      functionId,
      environmentId,
      targetModelRefId: target === LATEST ? null : target,
      reason,
      evidenceRunId: evidenceRunId || null,
      evidenceShadowSnapshotId: shadowChoice?.id ?? null,
    });
  };

  return (
    <form
      noValidate
      aria-label="Request a promotion"
      data-testid={`${idPrefix}-form`}
      className="space-y-5 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {done ? (
        <Alert tone="success">
          {done.message}{" "}
          <Link href={`/promotions/${done.id}`} className="font-medium underline">
            Open request #{done.number}
          </Link>
        </Alert>
      ) : null}
      {message ? <Alert>{message}</Alert> : null}

      <div className="grid gap-4 md:grid-cols-2">
        <EnvironmentField name={id("environment")} errors={fieldErrors.environmentId} value={environmentId} onChange={setEnvironmentId} environments={data.environments} note={(e) => (e.protected ? " (protected)" : "")} />
        <Field label="Move it to" name={id("target")} errors={fieldErrors.targetModelRefId}>
          {(p) => (
            <select {...p} value={target} onChange={(e) => setTarget(e.target.value)} className={inputClass}>
              <option value="">Choose a model…</option>
              {data.models.map((m) => (
                <option key={m.id} value={m.id} disabled={env?.pin.modelRefId === m.id}>
                  {modelText(m)}
                  {env?.pin.modelRefId === m.id ? " — pinned there now" : ""}
                </option>
              ))}
              <option value={LATEST} disabled={env !== null && env.pin.modelRefId === null}>
                latest (unpin: Nyckel&apos;s newest model)
                {env !== null && env.pin.modelRefId === null ? " — there now" : ""}
              </option>
            </select>
          )}
        </Field>
      </div>

      {env ? (
        <div className="rounded-md bg-zinc-50 p-3 text-sm dark:bg-zinc-950" data-testid={`${idPrefix}-policy`}>
          <p>
            <span className="font-medium">{env.name}</span> {env.protected ? <Badge tone="amber">protected</Badge> : <Badge tone="green">open</Badge>}{" "}
            is now on <span className="font-medium">{modelText(env.pin)}</span> (version {env.pin.version}).
          </p>
          <p className="mt-1 text-zinc-600 dark:text-zinc-400">A request here {policyParts(env).join("; ")}.</p>
          {open.length ? (
            <ul className="mt-2 space-y-1">
              {open.map((r) => (
                <li key={r.id}>
                  <Link href={`/promotions/${r.id}`} className={textLinkClass}>
                    Request #{r.number}
                  </Link>{" "}
                  to {modelText({ modelId: r.targetModelId })} by {r.requestedByLabel} is pending here.
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {alreadyPinned && env ? <Alert>{env.name} is already on that model. Choose another.</Alert> : null}

      <Field label="Reason" name={id("reason")} errors={fieldErrors.reason} hint="Required. Approvers read it; it is recorded in the audit log (at most 2,000 characters).">
        {(p) => <LimitedTextarea {...p} max={TEXT_LIMITS.reason} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} className={inputClass} />}
      </Field>

      <fieldset className="space-y-3">
        <legend className="text-sm font-medium text-zinc-700 dark:text-zinc-300">Evidence</legend>
        {env && targetChosen && !alreadyPinned ? (
          <>
            <Field
              label="Comparison run"
              name={id("evidence")}
              errors={[...(fieldErrors.evidenceRunId ?? []), ...(fieldErrors.evidenceShadowSnapshotId ?? [])]}
              hint={`Finished runs comparing ${env.name}'s current pin (${modelText(env.pin)}) with ${modelText({ modelId: targetModelId, nickname: targetModel?.nickname })}${
                env.pin.modelId === null || targetModelId === null ? ", finished in the last 24 hours (a side on latest)" : ""
              }.${otherRuns > 0 ? ` ${otherRuns} other finished run${otherRuns === 1 ? "" : "s"} of this function compare other models.` : ""}`}
            >
              {(p) => (
                <select {...p} value={shadowChoice ? `${SHADOW}${shadowChoice.id}` : evidenceRunId || NO_EVIDENCE} onChange={(e) => setEvidenceChoice(e.target.value)} className={inputClass}>
                  <option value={NO_EVIDENCE}>No comparison attached</option>
                  {matching.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.agreement ? `${formatPct(r.agreement.rate)} agreement on ${r.agreement.n}` : "no agreement"} · “{r.sampleSetName}” · finished{" "}
                      {r.finishedAt ? formatUtc(r.finishedAt) : "?"}
                    </option>
                  ))}
                  {matchingShadows.map((s) => (
                    <option key={s.id} value={`${SHADOW}${s.id}`}>
                      {s.agreement ? `${formatPct(s.agreement.rate)} agreement on ${s.agreement.n}` : "no agreement"} · shadow in {s.environmentName} · frozen {formatUtc(s.windowEnd)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {shadowChoice ? (
              <p className="text-xs text-zinc-500" data-testid={`${idPrefix}-shadow-evidence`}>
                Shadow evaluation in {shadowChoice.environmentName}: {shadowChoice.mirrored.toLocaleString("en-US")} mirrored requests of live traffic from{" "}
                {formatUtc(shadowChoice.windowStart)} to {formatUtc(shadowChoice.windowEnd)}, A = the served pin, B = the candidate.{" "}
                <Link href={`/functions/${encodeURIComponent(functionId)}/shadows/${shadowChoice.shadowId}`} className={textLinkClass}>
                  Open the report
                </Link>
              </p>
            ) : null}
            {evidenceRun ? (
              <p className="text-xs text-zinc-500">
                A = {evidenceRun.modelALabel}, B = {evidenceRun.modelBLabel}.{" "}
                <Link href={`/comparisons/${evidenceRun.id}`} className={textLinkClass}>
                  Open the report
                </Link>
              </p>
            ) : null}
            {canRunComparisons ? (
              <div className="rounded-md border border-dashed border-zinc-300 p-3 dark:border-zinc-700">
                <p className="text-sm font-medium">Compare now</p>
                {data.sampleSets.length ? (
                  <div className="mt-2 flex flex-wrap items-end gap-3">
                    <Field label="Sample set" name={id("sample-set")} className="min-w-56 flex-1">
                      {(p) => (
                        <select {...p} value={sampleSetId} onChange={(e) => setSampleSetId(e.target.value)} className={inputClass}>
                          {data.sampleSets.map((s) => (
                            <option key={s.id} value={s.id}>
                              {s.name} ({s.sampleCount})
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    <Button
                      type="button"
                      variant="secondary"
                      pending={start.isPending}
                      onClick={() => {
                        start.reset();
                        setStartedRunId(null);
                        start.execute({
                          functionId,
                          sampleSetId,
                          modelA: { kind: "pinned", environmentId: env.id },
                          modelB: targetModel ? { kind: "model", modelRefId: targetModel.id } : { kind: "latest" },
                        });
                      }}
                    >
                      Compare {env.name}&apos;s pin with this model
                    </Button>
                  </div>
                ) : (
                  <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
                    No sample sets yet.{" "}
                    <Link href={samplesHref} className={textLinkClass}>
                      Upload samples
                    </Link>{" "}
                    to compare the models.
                  </p>
                )}
                {startError ? <Alert className="mt-2">{startError}</Alert> : null}
                {startedRunId ? (
                  <div className="mt-3 space-y-2" data-testid={`${idPrefix}-started-run`}>
                    <RunProgress runId={startedRunId} initial={null} canCancel={false} />
                    <p className="text-xs text-zinc-500">
                      When it finishes it is attached here.{" "}
                      <Link href={`/comparisons/${startedRunId}`} className={textLinkClass}>
                        Watch the full report
                      </Link>
                    </p>
                  </div>
                ) : null}
              </div>
            ) : null}
          </>
        ) : (
          <p className="text-sm text-zinc-500">Choose the environment and the model first.</p>
        )}
      </fieldset>

      {verdict ? (
        <Alert tone={verdict.ok ? (verdict.gated ? "success" : "info") : "error"} className="whitespace-pre-wrap">
          <span data-testid={`${idPrefix}-gate-verdict`} data-ok={verdict.ok}>
            {verdict.ok ? (verdict.gated ? `Evidence gate passed. ${verdict.message}` : verdict.message) : `Cannot submit yet. ${verdict.message}`}
          </span>
        </Alert>
      ) : null}

      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" pending={create.isPending} disabled={!env || !targetChosen || alreadyPinned || (verdict !== null && !verdict.ok)}>
          {env?.approvalsRequired === 0 ? "Request and apply" : "Request promotion"}
        </Button>
        {env && env.approvalsRequired === 0 ? <span className="text-sm text-zinc-500">{env.name} needs no approvals: the pin moves on submit.</span> : null}
      </div>
    </form>
  );
}
