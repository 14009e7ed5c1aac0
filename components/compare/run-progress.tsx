"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useEffect, useRef } from "react";
import { RunStatusBadge } from "@/components/compare/run-status-badge";
import { sampleKeys } from "@/components/compare/sample-query";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { actionErrors } from "@/components/ui/action-errors";
import { cancelComparisonRunAction } from "@/lib/compare/actions";

type Progress = { id: string; status: string; total: number; complete: number; failed: number; startedAt: string | null; finishedAt: string | null };

export const runKeys = { progress: (runId: string) => ["comparison-run", runId, "progress"] as const };

const TERMINAL = new Set(["finished", "cancelled", "failed"]);

/** Least time between two refreshes of the report while results keep arriving. */
const REFRESH_EVERY_MS = 2500;

/**
 * The progress signal drives the whole report: whenever the recorded results change (at most every
 * REFRESH_EVERY_MS) and once more when the run ends, the server-rendered parts (agreement and interval, matrix,
 * accuracy, histogram, flips) are re-rendered with router.refresh() and the sample table's rows are refetched,
 * so what the page shows equals the stored results without a reload.
 */
function useLiveReport(runId: string, data: Progress | undefined, initial: Progress | null) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const shown = useRef({ signature: initial ? signatureOf(initial) : "", terminal: initial ? TERMINAL.has(initial.status) : false, at: 0 });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!data) return;
    const state = shown.current;
    const signature = signatureOf(data);
    if (state.terminal || signature === state.signature) return;
    const refresh = () => {
      timer.current = null;
      state.signature = signature;
      state.at = Date.now();
      router.refresh();
      void queryClient.invalidateQueries({ queryKey: sampleKeys.rows(runId) });
    };
    if (timer.current) clearTimeout(timer.current);
    if (TERMINAL.has(data.status)) {
      state.terminal = true;
      refresh(); // the final results, at once
      return;
    }
    timer.current = setTimeout(refresh, Math.max(0, state.at + REFRESH_EVERY_MS - Date.now()));
  }, [data, runId, router, queryClient]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
}

const signatureOf = (p: Progress) => `${p.status}:${p.complete}:${p.failed}`;

/** Live progress of a run: done / failed / total, time left, cancel. Polls until the run ends. */
export function RunProgress({ runId, initial, canCancel }: { runId: string; initial: Progress | null; canCancel: boolean }) {
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
  useLiveReport(runId, data, initial);
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
