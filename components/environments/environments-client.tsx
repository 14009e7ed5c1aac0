"use client";

import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormCard, formCardClass } from "@/components/ui/form-card";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { Section } from "@/components/ui/section";
import { createEnvironmentAction, updateEnvironmentAction } from "@/lib/environments/actions";
import { describeGate, GATE_DEFAULTS, gatePolicyOf } from "@/lib/promotions/gate";
import type { EnvironmentRow } from "@/lib/environments/queries";
import { DRIFT_SIGNIFICANCE_DEFAULT } from "@/lib/environments/defaults";

function policySummary(e: EnvironmentRow): string {
  if (!e.protected) return "Open: editors pin directly.";
  const parts = [`${e.approvalsRequired} approval${e.approvalsRequired === 1 ? "" : "s"}`];
  parts.push(e.rejectionBlocks ? "one rejection blocks" : "rejections do not block");
  parts.push(e.requestExpiryHours ? `requests expire after ${e.requestExpiryHours} h` : "requests do not expire");
  const gate = describeGate(gatePolicyOf(e));
  if (gate) parts.push(`evidence against the current pin: ${gate}`);
  return `Protected: ${parts.join(", ")}.`;
}

function watchSummary(e: EnvironmentRow): string {
  return e.watchNewModels
    ? `Watches new models: each one Nyckel reports is compared with this pin on the golden set (significance ${e.driftSignificance}).`
    : "Does not watch new models.";
}

export function EnvironmentsClient({ environments }: { environments: EnvironmentRow[] }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  return (
    <div className="space-y-10">
      <Section
        id="environments"
        title="Environments"
        description="In order, from the first stage to the last. Pins and promotion requests follow the policy; a pending request keeps the policy it was submitted under."
      >
        {status ? <Alert tone="success" className="mb-3">{status}</Alert> : null}
        <ul className="divide-y divide-zinc-100 rounded-lg bg-white ring-1 ring-zinc-200 dark:divide-zinc-800 dark:bg-zinc-900 dark:ring-zinc-800">
          {environments.map((e) => (
            <li key={e.id} className="px-4 py-3 text-sm" data-testid={`environment-${e.slug}`}>
              <div className="flex flex-wrap items-start gap-3">
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium">{e.name}</span>
                    <code className="font-mono text-xs text-zinc-500">{e.slug}</code>
                    <span className="text-xs text-zinc-500">order {e.sortOrder}</span>
                    {e.protected ? <Badge tone="amber">protected</Badge> : <Badge tone="green">open</Badge>}
                  </div>
                  <p className="mt-1 text-zinc-600 dark:text-zinc-400">{policySummary(e)}</p>
                  <p className="mt-1 text-zinc-600 dark:text-zinc-400" data-testid={`watch-summary-${e.slug}`}>
                    {watchSummary(e)}
                  </p>
                </div>
                <Button variant="ghost" onClick={() => setEditing(editing === e.id ? null : e.id)} aria-expanded={editing === e.id}>
                  Edit
                </Button>
              </div>
              {editing === e.id ? (
                <EnvironmentForm
                  environment={e}
                  onDone={(name) => {
                    setEditing(null);
                    setStatus(`Saved ${name}.`);
                  }}
                  onCancel={() => setEditing(null)}
                />
              ) : null}
            </li>
          ))}
        </ul>
      </Section>
      <Section id="add-environment" title="Add an environment" className="max-w-2xl">
        <EnvironmentForm onDone={(name) => setStatus(`Added ${name}.`)} />
      </Section>
    </div>
  );
}

function numberOrNull(v: FormDataEntryValue | null): number | null {
  const s = String(v ?? "").trim();
  return s === "" ? null : Number(s);
}

function EnvironmentForm({
  environment,
  onDone,
  onCancel,
}: {
  environment?: EnvironmentRow;
  onDone: (name: string) => void;
  onCancel?: () => void;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const [isProtected, setProtected] = useState(environment?.protected ?? false);
  const create = useAction(createEnvironmentAction, {
    onSuccess: ({ data }) => {
      formRef.current?.reset();
      setProtected(false);
      onDone(data?.name ?? "the environment");
    },
  });
  const update = useAction(updateEnvironmentAction, { onSuccess: ({ data }) => onDone(data?.name ?? "the environment") });
  const current = environment ? update : create;
  const { message, fieldErrors } = actionErrors(current.result);
  const p = environment ? `env-${environment.slug}-` : "new-env-";
  return (
    <FormCard
      ref={formRef}
      aria-label={environment ? `Edit ${environment.name}` : "Add an environment"}
      className={environment ? "mt-3 space-y-4 rounded-md bg-zinc-50 p-4 dark:bg-zinc-950" : formCardClass}
      onData={(f) => {
        const fields = {
          name: String(f.get(`${p}name`) ?? ""),
          sortOrder: Number(String(f.get(`${p}sortOrder`) ?? "0") || 0),
          protected: f.get(`${p}protected`) === "on",
          approvalsRequired: Number(String(f.get(`${p}approvalsRequired`) ?? "0") || 0),
          rejectionBlocks: f.get(`${p}rejectionBlocks`) === "on",
          requestExpiryHours: numberOrNull(f.get(`${p}requestExpiryHours`)),
          minAgreementPct: numberOrNull(f.get(`${p}minAgreementPct`)),
          minAnsweredSamples: numberOrNull(f.get(`${p}minAnsweredSamples`)) ?? GATE_DEFAULTS.minAnsweredSamples,
          maxErrorPct: numberOrNull(f.get(`${p}maxErrorPct`)) ?? GATE_DEFAULTS.maxErrorPct,
          gateLowerBound: f.get(`${p}gateLowerBound`) === "on",
          allowCallerModelOverride: f.get(`${p}allowCallerModelOverride`) === "on",
          watchNewModels: f.get(`${p}watchNewModels`) === "on",
          driftSignificance: numberOrNull(f.get(`${p}driftSignificance`)) ?? DRIFT_SIGNIFICANCE_DEFAULT,
        };
        if (environment) update.execute({ id: environment.id, ...fields });
        else create.execute({ ...fields, slug: String(f.get(`${p}slug`) ?? "") });
      }}
    >
      {message ? <Alert>{message}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-3">
        <Field label="Name" name={`${p}name`} errors={fieldErrors.name}>
          {(a) => <input {...a} type="text" defaultValue={environment?.name} autoComplete="off" className={inputClass} />}
        </Field>
        {environment ? null : (
          <Field label="Slug" name={`${p}slug`} errors={fieldErrors.slug} hint="Used in URLs and the API; cannot change later.">
            {(a) => <input {...a} type="text" autoComplete="off" placeholder="eu-prod" className={inputClass + " font-mono"} />}
          </Field>
        )}
        <Field label="Order" name={`${p}sortOrder`} errors={fieldErrors.sortOrder} hint="Lower comes first.">
          {(a) => <input {...a} type="number" min={0} max={1000} defaultValue={environment?.sortOrder ?? 100} className={inputClass} />}
        </Field>
      </div>
      <fieldset className="space-y-3">
        <legend className="text-sm font-medium">Policy</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name={`${p}protected`} checked={isProtected} onChange={(e) => setProtected(e.target.checked)} />
          Protected: pins move only through approved promotion requests (or an admin&apos;s break-glass)
        </label>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Approvals required" name={`${p}approvalsRequired`} errors={fieldErrors.approvalsRequired} hint="0 to 10.">
            {(a) => <input {...a} type="number" min={0} max={10} defaultValue={environment?.approvalsRequired ?? 0} className={inputClass} />}
          </Field>
          <Field label="Request expiry (hours)" name={`${p}requestExpiryHours`} errors={fieldErrors.requestExpiryHours} hint="Empty: requests do not expire.">
            {(a) => <input {...a} type="number" min={1} defaultValue={environment?.requestExpiryHours ?? ""} className={inputClass} />}
          </Field>
          <Field label="Minimum agreement (%)" name={`${p}minAgreementPct`} errors={fieldErrors.minAgreementPct} hint="Evidence gate against the current pin; empty: none.">
            {(a) => <input {...a} type="number" min={0} max={100} step="0.1" defaultValue={environment?.minAgreementPct ?? ""} className={inputClass} />}
          </Field>
          <Field
            label="Minimum answered samples"
            name={`${p}minAnsweredSamples`}
            errors={fieldErrors.minAnsweredSamples}
            hint="With a gate: samples both models must answer."
          >
            {(a) => <input {...a} type="number" min={1} defaultValue={environment?.minAnsweredSamples ?? GATE_DEFAULTS.minAnsweredSamples} className={inputClass} />}
          </Field>
          <Field label="Maximum errors (%)" name={`${p}maxErrorPct`} errors={fieldErrors.maxErrorPct} hint="With a gate: samples not answered by both models.">
            {(a) => <input {...a} type="number" min={0} max={100} step="0.1" defaultValue={environment?.maxErrorPct ?? GATE_DEFAULTS.maxErrorPct} className={inputClass} />}
          </Field>
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name={`${p}gateLowerBound`} defaultChecked={environment?.gateLowerBound ?? GATE_DEFAULTS.lowerBound} />
          The gate reads the lower bound of the agreement&apos;s 95% interval, not the point estimate
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name={`${p}rejectionBlocks`} defaultChecked={environment?.rejectionBlocks ?? true} />
          One rejection blocks a request
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name={`${p}allowCallerModelOverride`} defaultChecked={environment?.allowCallerModelOverride ?? false} />
          Applications may ask for another model than the pinned one (app API)
        </label>
      </fieldset>
      <fieldset className="space-y-3">
        <legend className="text-sm font-medium">Drift watch</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name={`${p}watchNewModels`} defaultChecked={environment?.watchNewModels ?? false} />
          Watch new models: compare each model Nyckel reports with this environment&apos;s pin on the function&apos;s golden set
        </label>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field
            label="Drift significance"
            name={`${p}driftSignificance`}
            errors={fieldErrors.driftSignificance}
            hint="Above 0, below 0.5. With ground truth, McNemar's test at this level decides whether a new model is worse."
          >
            {(a) => (
              <input {...a} type="number" min={0.001} max={0.499} step="0.001" defaultValue={environment?.driftSignificance ?? DRIFT_SIGNIFICANCE_DEFAULT} className={inputClass} />
            )}
          </Field>
        </div>
      </fieldset>
      <div className="flex gap-2">
        <Button type="submit" pending={current.isPending}>
          {environment ? "Save" : "Add environment"}
        </Button>
        {onCancel ? (
          <Button type="button" variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
    </FormCard>
  );
}
