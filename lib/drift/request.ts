import "server-only";
import { z } from "zod";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { parseInput } from "@/lib/validation";

/**
 * The one way to ask drift watch for an evaluation (the contract between the
 * scheduled sync, "Evaluate latest now" and the drift-evaluate worker):
 * validates the payload and sends ONE pg-boss job to QUEUES.driftEvaluate.
 * `candidateModelId: null` means Nyckel's `latest` (no model id known).
 * Requests for the same function and candidate within a minute collapse into
 * one job (pg-boss singleton key + slot), so a repeated trigger costs nothing.
 */
export const driftEvaluationRequestSchema = z.object({
  functionId: z.string().trim().min(1, "Name the function to evaluate."),
  candidateModelId: z.string().trim().min(1, "A candidate model id cannot be empty (null means latest).").nullable(),
  trigger: z.enum(["discovered", "latest_probe", "manual"], "The trigger is discovered, latest_probe or manual."),
});

export type DriftEvaluationRequest = z.infer<typeof driftEvaluationRequestSchema>;

/** Repeats of the same function + candidate within this many seconds are one job. */
export const DRIFT_REQUEST_COLLAPSE_SECONDS = 60;

/** The job's singleton key: one per function and candidate (`latest` for null). */
export function driftRequestKey(p: Pick<DriftEvaluationRequest, "functionId" | "candidateModelId">): string {
  return `${p.functionId}:${p.candidateModelId ?? "latest"}`;
}

/** Sends the job; its id, or null when an identical request is already queued in this slot. */
export async function requestDriftEvaluation(payload: DriftEvaluationRequest): Promise<string | null> {
  const data = parseInput(driftEvaluationRequestSchema, payload);
  const boss = await getBoss();
  return boss.send(QUEUES.driftEvaluate, data, { singletonKey: driftRequestKey(data), singletonSeconds: DRIFT_REQUEST_COLLAPSE_SECONDS });
}
