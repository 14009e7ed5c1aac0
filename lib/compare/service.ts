import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { modelLabel } from "@/lib/models/label";
import { NOT_REGISTERED_MESSAGE, checkPinnableModel } from "@/lib/models/pinnable";
import { currentPin } from "@/lib/pins/locks";
import { parseInput } from "@/lib/validation";
import { startRunSchema, type ModelChoice, type StartRunInput } from "./schemas";

/** Resolves a side to the Nyckel model id to send (null = latest) and a label that says what it was. */
export async function resolveChoice(tx: Tx, functionId: string, choice: ModelChoice): Promise<{ modelId: string | null; label: string }> {
  if (choice.kind === "latest") return { modelId: null, label: "latest" };
  if (choice.kind === "model") {
    const check = await checkPinnableModel(tx, { modelRefId: choice.modelRefId, functionId });
    if (!check.ok && check.why === "unknown") throw new InvalidInputError(NOT_REGISTERED_MESSAGE);
    if (!check.ok) throw new InvalidInputError(`${check.model.nickname || check.model.modelId} is retired; choose another model.`);
    return { modelId: check.model.modelId, label: modelLabel(check.model) };
  }
  const env = await tx.environment.findUnique({ where: { id: choice.environmentId }, select: { id: true, name: true } });
  if (!env) throw new InvalidInputError("That environment does not exist.");
  const pin = await currentPin(tx, { environmentId: env.id, functionId });
  if (!pin.model) return { modelId: null, label: `pinned in ${env.name}: latest` };
  return { modelId: pin.model.modelId, label: `pinned in ${env.name}: ${pin.model.nickname || pin.model.modelId} (${pin.model.modelId})` };
}

/**
 * Creates a comparison run and queues it. The pins and nicknames are resolved
 * now and frozen into the run; a run on "latest" records when it ran.
 */
export async function startComparisonRun(
  ctx: ServiceContext,
  raw: StartRunInput,
  options: { link?: (tx: Tx, run: { id: string; modelA: string | null; modelB: string | null }) => Promise<void> } = {},
) {
  authorize(ctx, "comparisons:run");
  const input = parseInput(startRunSchema, raw);
  const run = await prisma.$transaction(async (tx) => {
    const set = await tx.sampleSet.findFirst({
      where: { id: input.sampleSetId, functionId: input.functionId, deletedAt: null },
      select: { id: true, name: true, sampleCount: true },
    });
    if (!set) throw new NotFoundError("That sample set does not exist for this function.");
    const a = await resolveChoice(tx, input.functionId, input.modelA);
    const b = await resolveChoice(tx, input.functionId, input.modelB);
    const created = await tx.comparisonRun.create({
      data: {
        functionId: input.functionId,
        sampleSetId: set.id,
        modelA: a.modelId,
        modelALabel: a.label,
        modelB: b.modelId,
        modelBLabel: b.label,
        status: "queued",
        total: set.sampleCount,
        createdById: ctx.actor.id,
        createdByLabel: ctx.actor.label,
      },
      select: { id: true, total: true },
    });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "comparison.started",
      functionId: input.functionId,
      targetType: "comparison_run",
      targetId: created.id,
      after: { sampleSet: set.name, samples: set.sampleCount, modelA: a.label, modelB: b.label },
      requestId: ctx.requestId,
    });
    // A caller's own record of the run (drift watch's evaluation), in the run's transaction.
    await options.link?.(tx, { id: created.id, modelA: a.modelId, modelB: b.modelId });
    return created;
  });
  await enqueueRun(run.id);
  return run;
}

export async function enqueueRun(runId: string): Promise<void> {
  const boss = await getBoss();
  await boss.send(QUEUES.comparisonRun, { runId }, { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 6 * 3600 });
}

export async function cancelComparisonRun(ctx: ServiceContext, runId: string) {
  authorize(ctx, "comparisons:run");
  return prisma.$transaction(async (tx) => {
    const run = await tx.comparisonRun.findUnique({ where: { id: runId }, select: { id: true, status: true, functionId: true } });
    if (!run) throw new NotFoundError("That comparison run does not exist.");
    if (!["queued", "running"].includes(run.status)) throw new InvalidInputError(`The run is ${run.status}; only a queued or running run can be cancelled.`);
    await tx.comparisonRun.update({ where: { id: run.id }, data: { status: "cancelling" } });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "comparison.cancelled",
      functionId: run.functionId,
      targetType: "comparison_run",
      targetId: run.id,
      before: { status: run.status },
      after: { status: "cancelling" },
      requestId: ctx.requestId,
    });
    return run;
  });
}

/** Progress, derived from recorded results: complete = both sides recorded; failed = a side failed. */
export async function getRunProgress(runId: string) {
  const run = await prisma.comparisonRun.findUnique({
    where: { id: runId },
    select: { id: true, status: true, total: true, startedAt: true, finishedAt: true, createdAt: true },
  });
  if (!run) return null;
  const [row] = await prisma.$queryRaw<Array<{ complete: bigint; failed: bigint }>>`
    SELECT count(*) FILTER (WHERE n = 2) AS complete, count(*) FILTER (WHERE bad > 0) AS failed
    FROM (SELECT sample_id, count(*) AS n, count(*) FILTER (WHERE NOT ok) AS bad
          FROM comparison_results WHERE run_id = ${runId}::uuid GROUP BY sample_id) per_sample`;
  return { ...run, complete: Number(row?.complete ?? 0), failed: Number(row?.failed ?? 0) };
}
