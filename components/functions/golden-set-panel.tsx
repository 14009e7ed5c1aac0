"use client";

import { textLinkClass } from "@/components/ui/text-link";
import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { actionErrors } from "@/components/ui/action-errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field, inputClass } from "@/components/ui/field";
import { setGoldenSetAction } from "@/lib/functions/actions";

export type GoldenSetView = { id: string; name: string; sampleCount: number; labeledCount: number; deleted: boolean } | null;
export type GoldenChoice = { id: string; name: string; sampleCount: number; labeledCount: number };

function truthNote(s: { sampleCount: number; labeledCount: number }): string {
  if (s.labeledCount === 0) return "without ground truth";
  return s.labeledCount === s.sampleCount ? "all with ground truth" : `${s.labeledCount} with ground truth`;
}

/** The function's golden set (drift watch evaluates new models on it): shown to everyone, chosen or cleared by editors. */
export function GoldenSetPanel({ functionId, golden, sets, canWrite }: { functionId: string; golden: GoldenSetView; sets: GoldenChoice[]; canWrite: boolean }) {
  const [choice, setChoice] = useState(golden && !golden.deleted ? golden.id : "");
  const { execute, result, isPending } = useAction(setGoldenSetAction);
  const { message: error, fieldErrors } = actionErrors(result);
  const samplesHref = `/functions/${encodeURIComponent(functionId)}/samples`;
  return (
    <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" data-testid="golden-set">
      {golden && !golden.deleted ? (
        <p className="text-sm">
          <Badge tone="indigo">golden set</Badge> <span className="font-medium">{golden.name}</span>{" "}
          <span className="text-zinc-500">
            ({golden.sampleCount} samples, {truthNote(golden)})
          </span>
        </p>
      ) : golden?.deleted ? (
        <p className="text-sm text-amber-800 dark:text-amber-300">The golden set &ldquo;{golden.name}&rdquo; was deleted: drift watch evaluates nothing until an editor chooses another.</p>
      ) : (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No golden set: drift watch cannot evaluate new models of this function yet.</p>
      )}
      {canWrite ? (
        sets.length === 0 ? (
          <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">
            Upload a sample set on the <Link href={samplesHref} className={textLinkClass}>Sample sets</Link> page first.
          </p>
        ) : (
          <form
            aria-label="Golden set"
            className="mt-4 flex flex-wrap items-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              execute({ functionId, sampleSetId: choice || null });
            }}
          >
            <Field label="Sample set" name="goldenSampleSetId" errors={fieldErrors.sampleSetId} className="min-w-64">
              {(a) => (
                <select {...a} value={choice} onChange={(e) => setChoice(e.target.value)} className={inputClass}>
                  <option value="">None (clear the golden set)</option>
                  {sets.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name} ({s.sampleCount} samples, {truthNote(s)})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Button type="submit" pending={isPending}>
              {choice ? "Set as golden set" : "Clear golden set"}
            </Button>
          </form>
        )
      ) : null}
      {result.data ? (
        <Alert tone="success" className="mt-3">
          {result.data.message}
        </Alert>
      ) : null}
      {error ? <Alert className="mt-3">{error}</Alert> : null}
    </div>
  );
}
