"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useEffect, useRef } from "react";
import { RunStatusBadge } from "@/components/compare/run-status-badge";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { actionErrors } from "@/components/ui/action-errors";
import { cancelComparisonRunAction } from "@/lib/compare/actions";

type Progress = { id: string; status: string; total: number; complete: number; failed: number; startedAt: string | null; finishedAt: string | null };

export const runKeys = { progress: (runId: string) => ["comparison-run", runId, "progress"] as const };

const TERMINAL = new Set(["finished", "cancelled", "failed"]);

/** Live progress of a run: done / failed / total, time left, cancel. Polls until the run ends. */
export function RunProgress({ runId, initial, canCancel }: { runId: string; initial: Progress | null; canCancel: boolean }) {
  const router = useRouter();
  const { data, dataUpdatedAt } = useQuery({
    queryKey: runKeys.progress(runId),
    queryFn: async (): Promise<Progress> => {
      const res = await fetch(`/api/comparisons/${runId}/progress`, { cache: "no-store" });
      if (!res.ok) throw new Error(`progress ${res.status}`);
      return res.json() as Promise<Progress>;
    },
    initialData: initial ?? undefined,
    refetchInterval: (q) => (q.state.data && TERMINAL.has(q.state.data.status) ? false : 1000),
  });
  const cancel = useAction(cancelComparisonRunAction);
  const wasTerminal = useRef(initial ? TERMINAL.has(initial.status) : false);
  useEffect(() => {
    if (data && TERMINAL.has(data.status) && !wasTerminal.current) {
      wasTerminal.current = true;
      router.refresh(); // load the final results and agreement
    }
  }, [data, router]);
  if (!data) return null;
  const recorded = data.complete;
  const fraction = data.total ? recorded / data.total : 0;
  const elapsed = data.startedAt ? (dataUpdatedAt - new Date(data.startedAt).getTime()) / 1000 : 0;
  const left = recorded > 0 && !TERMINAL.has(data.status) ? Math.max(0, Math.round((elapsed / recorded) * (data.total - recorded))) : null;
  return (
    <section className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-labelledby="progress-heading">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="progress-heading" className="text-base font-semibold">Progress</h2>
        <RunStatusBadge status={data.status} />
        {canCancel && (data.status === "queued" || data.status === "running") ? (
          <Button variant="secondary" className="ml-auto" pending={cancel.isPending} onClick={() => cancel.execute({ runId })}>
            Cancel run
          </Button>
        ) : null}
      </div>
      <div
        className="mt-3 h-3 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
        role="progressbar"
        aria-label="Samples recorded"
        aria-valuemin={0}
        aria-valuemax={data.total}
        aria-valuenow={recorded}
      >
        <div className="h-full bg-indigo-600 transition-all" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400" data-testid="progress-text" aria-live="polite">
        {recorded} of {data.total} samples done, {data.failed} with a failure
        {left !== null ? ` · about ${left < 60 ? `${left} s` : `${Math.round(left / 60)} min`} left` : ""}.
      </p>
      {cancel.result.serverError ? <Alert className="mt-2">{actionErrors(cancel.result).message}</Alert> : null}
    </section>
  );
}
