"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { startComparisonRunAction } from "@/lib/compare/actions";
import { parseChoiceToken } from "@/lib/compare/choice";

export type Option = { id: string; label: string };

/** A model picker: "latest", "pinned in <environment>" or a registered model; its value is a choice token (lib/compare/schemas.ts). */
export function ModelSelect({ name, label, value, onChange, models, environments }: { name: string; label: string; value: string; onChange: (v: string) => void; models: Option[]; environments: Option[] }) {
  return (
    <Field label={label} name={name}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)} className={inputClass}>
          <option value="latest">latest (Nyckel&apos;s current model)</option>
          {environments.length ? (
            <optgroup label="Pinned in an environment">
              {environments.map((e) => <option key={e.id} value={`pinned:${e.id}`}>pinned in {e.label}</option>)}
            </optgroup>
          ) : null}
          {models.length ? (
            <optgroup label="Registered models">
              {models.map((m) => <option key={m.id} value={`model:${m.id}`}>{m.label}</option>)}
            </optgroup>
          ) : null}
        </select>
      )}
    </Field>
  );
}

/**
 * The pickers' first choice: never one model against itself. Two or more registered models
 * (newest first): the second newest as A, the newest as B. One: it against "latest" (which may
 * be the same model: `SameModelHint` says so). None: "latest" on both sides, with the hint.
 */
export function defaultSides(models: Option[]): { a: string; b: string } {
  if (models.length >= 2) return { a: `model:${models[1]!.id}`, b: `model:${models[0]!.id}` };
  return { a: models[0] ? `model:${models[0].id}` : "latest", b: "latest" };
}

/** Shown while fewer than two models are registered: a comparison may pit a model against itself. */
export function SameModelHint({ models, functionId }: { models: Option[]; functionId: string }) {
  if (models.length >= 2) return null;
  return (
    <p className="mt-2 text-sm text-amber-800 dark:text-amber-300" data-testid="same-model-hint">
      {models.length === 0 ? "No model is registered for this function yet, so both sides can only be Nyckel's latest model. " : "Only one model is registered: \"latest\" may be that same model. "}
      <a href={`/functions/${encodeURIComponent(functionId)}#register-model`} className="underline">
        Register another model
      </a>{" "}
      to compare two versions.
    </p>
  );
}

/** Starts a comparison run of two models on a sample set, then opens its page. */
export function StartRunForm({ functionId, sampleSets, models, environments }: { functionId: string; sampleSets: Option[]; models: Option[]; environments: Option[] }) {
  const router = useRouter();
  const [chosenSet, setSampleSetId] = useState(sampleSets[0]?.id ?? "");
  // The list can grow after an upload (router.refresh): fall back to the newest set.
  const sampleSetId = sampleSets.some((s) => s.id === chosenSet) ? chosenSet : (sampleSets[0]?.id ?? "");
  const [a, setA] = useState(() => defaultSides(models).a);
  const [b, setB] = useState(() => defaultSides(models).b);
  const { execute, result, isPending } = useAction(startComparisonRunAction, {
    onSuccess: ({ data }) => data && router.push(`/comparisons/${data.id}`),
  });
  const { message } = actionErrors(result);
  if (sampleSets.length === 0) return null;
  return (
    <section aria-labelledby="compare-heading" className="rounded-lg bg-white p-6 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
      <h2 id="compare-heading" className="text-lg font-semibold">Compare two models</h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">Both models answer every sample (capture=false), within Nyckel&apos;s rate limits. The run keeps going if you leave this page.</p>
      <form
        className="mt-4 grid gap-4 md:grid-cols-4"
        onSubmit={(e) => {
          e.preventDefault();
          execute({ functionId, sampleSetId, modelA: parseChoiceToken(a), modelB: parseChoiceToken(b) });
        }}
      >
        <Field label="Sample set" name="sampleSetId">
          {(p) => (
            <select {...p} value={sampleSetId} onChange={(e) => setSampleSetId(e.target.value)} className={inputClass}>
              {sampleSets.map((s) => <option key={s.id} value={s.id}>{s.label}</option>)}
            </select>
          )}
        </Field>
        <ModelSelect name="modelA" label="Model A" value={a} onChange={setA} models={models} environments={environments} />
        <ModelSelect name="modelB" label="Model B" value={b} onChange={setB} models={models} environments={environments} />
        <div className="flex items-end">
          <Button type="submit" pending={isPending} className="w-full">Start comparison</Button>
        </div>
      </form>
      <SameModelHint models={models} functionId={functionId} />
      {message ? <Alert className="mt-3">{message}</Alert> : null}
    </section>
  );
}
