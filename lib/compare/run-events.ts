import "server-only";
import { logger } from "@/lib/logger";

/**
 * Who wants to know when a comparison run ends (drift watch concludes its
 * evaluations). Listeners register when their worker starts; the comparison
 * worker calls them after a run finished, was cancelled or failed. They must
 * be idempotent: a listener's own sweep may see the same run again.
 */
export type RunEndedListener = (runId: string) => Promise<void>;

const globalForRunEvents = globalThis as unknown as { modelpinRunEnded?: Set<RunEndedListener> };

export function onComparisonRunEnded(listener: RunEndedListener): void {
  (globalForRunEvents.modelpinRunEnded ??= new Set()).add(listener);
}

/** Calls every listener; a listener's failure is logged, never the run's. */
export async function notifyComparisonRunEnded(runId: string): Promise<void> {
  for (const listener of globalForRunEvents.modelpinRunEnded ?? []) {
    await listener(runId).catch((err: unknown) => logger.error({ err, runId }, "a listener of a comparison run's end failed"));
  }
}
