import "server-only";
import { runAgreements } from "@/lib/compare/queries";
import { prisma } from "@/lib/db/client";
import { listEnvironments } from "@/lib/environments/queries";
import { listPinnableModels } from "@/lib/models/queries";
import { listCurrentPins } from "@/lib/pins/queries";
import { evidenceOffers, type EvidenceOffers } from "./offers";

/**
 * The "Request promotion" offers of a comparison report (./offers.ts): the
 * run, the environments with their current pins, and the function's
 * registered models. Null while the run is not finished. Callers check
 * `comparisons:read` and show the offers only to members who can request.
 */
export async function getEvidenceOffers(runId: string, now: Date = new Date()): Promise<EvidenceOffers | null> {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) return null;
  const run = await prisma.comparisonRun.findUnique({
    where: { id: runId },
    select: { id: true, functionId: true, status: true, modelA: true, modelB: true, finishedAt: true, total: true },
  });
  if (!run || run.status !== "finished") return null;
  const [agreements, environments, pins, models] = await Promise.all([
    runAgreements([run.id]),
    listEnvironments(),
    listCurrentPins(run.functionId),
    listPinnableModels(run.functionId),
  ]);
  const a = agreements.get(run.id);
  return evidenceOffers(
    { ...run, agreement: a ? { n: a.n, agree: a.agree, rate: a.rate } : null },
    environments.map((e) => ({ ...e, pinModelId: pins.find((p) => p.environmentId === e.id)?.model?.modelId ?? null })),
    models,
    now,
  );
}
