import "server-only";
import { z } from "zod";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { parseInput } from "@/lib/validation";

/**
 * The one way to ask drift watch for an evaluation (the contract between sync
 * and drift watch, issue 16): validates the payload and sends ONE pg-boss job
 * to QUEUES.driftEvaluate. Repeats for the same function and candidate within
 * a minute collapse into one job (singleton key); the worker
 * (lib/drift/worker.ts) also refuses duplicates on its own.
 */
export const driftEvaluationRequestSchema = z.object({
  functionId: z.string().min(1).max(200),
  /** A Nyckel model id, or null for `latest` (Nyckel reports no current model id). */
  candidateModelId: z.string().min(1).max(200).nullable(),
  trigger: z.enum(["discovered", "latest_probe", "manual"]),
});
export type DriftEvaluationRequest = z.infer<typeof driftEvaluationRequestSchema>;

/** Sends the job; returns its id, or null when an identical request was sent less than a minute ago. */
export async function requestDriftEvaluation(payload: DriftEvaluationRequest): Promise<string | null> {
  const data = parseInput(driftEvaluationRequestSchema, payload);
  const boss = await getBoss();
  return boss.send(QUEUES.driftEvaluate, data, {
    singletonKey: `${data.functionId}:${data.candidateModelId ?? "latest"}`,
    singletonSeconds: 60,
    retryLimit: 3,
    retryDelay: 10,
    retryBackoff: true,
  });
}
