import "server-only";
import { cancelComparisonRun, startComparisonRun } from "@/lib/compare/service";
import { DRIFT_WATCH_ACTOR, authorize, driftWatchContext, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { InvalidInputError, NotFoundError, isExpectedError, isUniqueViolation } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { modelLabel } from "@/lib/models/label";
import { currentPin, type CurrentPin } from "@/lib/pins/locks";
import { parseInput } from "@/lib/validation";
import { driftEvaluationRequestSchema, requestDriftEvaluation, type DriftEvaluationRequest } from "./request";
import { evaluateNowSchema } from "./schemas";

/**
 * Starting drift evaluations (issue 16; docs/drift.md): for one new model of a
 * function (or `latest`), every environment that watches new models gets one
 * evaluation — a comparison run of its current pin (side A) against the new
 * model by its id (side B) on the function's golden set, started as the actor
 * `drift watch` through the comparison service (so at batch priority in the
 * Nyckel budget). The evaluation row is written in the run's transaction.
 * lib/drift/conclude.ts gives the verdict when the run ends.
 *
 * Not evaluated (a `skipped` row says why): the environment is already on the
 * model, a drift candidate for it is already open, or the model is not
 * registered / retired. An evaluation of the same model for the same
 * environment under way is left alone (the database allows one). A new model
 * supersedes the evaluations of other models still running there.
 */

export const DRIFT_STATUSES = ["running", "candidate_opened", "rejected", "awaiting_model_id", "superseded", "failed", "skipped"] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

export type EvaluationStart = {
  environment: string;
  outcome: "started" | "skipped" | "already_running";
  evaluationId?: string;
  runId?: string;
  reason?: string;
};

type Fn = { id: string; name: string; sampleSetId: string };
type Env = { id: string; name: string };
type Candidate = { id: string; modelId: string; nickname: string; retiredAt: Date | null } | null;

export async function evaluateDrift(raw: DriftEvaluationRequest): Promise<{ functionId: string; starts: EvaluationStart[]; note: string | null }> {
  const payload = parseInput(driftEvaluationRequestSchema, raw);
  const fn = await prisma.nyckelFunction.findUnique({
    where: { id: payload.functionId },
    select: { id: true, name: true, goldenSampleSet: { select: { id: true, deletedAt: true } } },
  });
  if (!fn) return { functionId: payload.functionId, starts: [], note: "That function does not exist." };
  const set = fn.goldenSampleSet;
  if (!set || set.deletedAt) return { functionId: fn.id, starts: [], note: `${fn.name} has no golden set, so drift watch cannot evaluate it.` };
  const environments = await prisma.environment.findMany({ where: { watchNewModels: true }, orderBy: { sortOrder: "asc" }, select: { id: true, name: true } });
  if (environments.length === 0) return { functionId: fn.id, starts: [], note: "No environment watches new models." };
  const candidate = payload.candidateModelId
    ? await prisma.model.findUnique({
        where: { functionId_modelId: { functionId: fn.id, modelId: payload.candidateModelId } },
        select: { id: true, modelId: true, nickname: true, retiredAt: true },
      })
    : null;
  const ctx = driftWatchContext();
  const starts: EvaluationStart[] = [];
  for (const env of environments) {
    try {
      starts.push(await startOne(ctx, { id: fn.id, name: fn.name, sampleSetId: set.id }, env, payload, candidate));
    } catch (err) {
      // One environment's failure (a deleted set, the database) does not stop the others; the job is retried.
      logger.error({ err, functionId: fn.id, environmentId: env.id }, "drift evaluation did not start");
      if (!isExpectedError(err)) throw err;
      starts.push({ environment: env.name, outcome: "skipped", reason: err.message });
    }
  }
  return { functionId: fn.id, starts, note: null };
}

async function startOne(ctx: ServiceContext, fn: Fn, env: Env, payload: DriftEvaluationRequest, candidate: Candidate): Promise<EvaluationStart> {
  const key = { environmentId: env.id, functionId: fn.id };
  const pin = await currentPin(prisma, key);
  const candidateId = payload.candidateModelId;
  const skip = async (reason: string): Promise<EvaluationStart> => {
    const row = await prisma.driftEvaluation.create({
      data: { ...baseRow(fn, env, payload, pin), status: "skipped", verdict: reason, decidedAt: new Date() },
      select: { id: true },
    });
    return { environment: env.name, outcome: "skipped", evaluationId: row.id, reason };
  };
  if (candidateId && !candidate) return skip(`${candidateId} is not registered for ${fn.name}; register it to evaluate it`);
  if (candidate?.retiredAt) return skip(`${modelLabel(candidate)} is retired`);
  if ((pin.model?.modelId ?? null) === candidateId) {
    return skip(candidate ? `${env.name} is already pinned to ${modelLabel(candidate)}` : `${env.name} already follows latest`);
  }
  if (candidateId) {
    const open = await prisma.promotionRequest.findFirst({
      where: { functionId: fn.id, environmentId: env.id, status: "pending", targetModelId: candidateId, requestedById: null, requestedByLabel: DRIFT_WATCH_ACTOR },
      select: { number: true },
    });
    if (open) return skip(`request #${open.number} already proposes ${modelLabel(candidate!)} for ${env.name}`);
  }
  await supersedeRunning(ctx, fn, env, candidate);
  try {
    let evaluationId = "";
    const run = await startComparisonRun(
      ctx,
      {
        functionId: fn.id,
        sampleSetId: fn.sampleSetId,
        modelA: { kind: "pinned", environmentId: env.id },
        modelB: candidate ? { kind: "model", modelRefId: candidate.id } : { kind: "latest" },
      },
      {
        link: async (tx, created) => {
          // The pin as the run froze it (same transaction).
          const base = await currentPin(tx, key);
          const row = await tx.driftEvaluation.create({
            data: { ...baseRow(fn, env, payload, base), runId: created.id, status: "running" },
            select: { id: true },
          });
          evaluationId = row.id;
        },
      },
    );
    return { environment: env.name, outcome: "started", evaluationId, runId: run.id };
  } catch (err) {
    // The one-running-evaluation index: the same model is being evaluated for this environment already.
    if (isUniqueViolation(err)) return { environment: env.name, outcome: "already_running", reason: "already being evaluated" };
    throw err;
  }
}

function baseRow(fn: Fn, env: Env, payload: DriftEvaluationRequest, pin: CurrentPin) {
  return {
    functionId: fn.id,
    environmentId: env.id,
    trigger: payload.trigger,
    candidateModelId: payload.candidateModelId,
    baseVersion: pin.version,
    baseModelId: pin.model?.modelId ?? null,
    sampleSetId: fn.sampleSetId,
  };
}

/** Evaluations of other models still running for this function and environment: their runs are cancelled, they end superseded. */
async function supersedeRunning(ctx: ServiceContext, fn: Fn, env: Env, candidate: Candidate): Promise<void> {
  const running = await prisma.driftEvaluation.findMany({
    where: {
      functionId: fn.id,
      environmentId: env.id,
      status: "running",
      ...(candidate ? { OR: [{ candidateModelId: null }, { candidateModelId: { not: candidate.modelId } }] } : { candidateModelId: { not: null } }),
    },
    select: { id: true, runId: true },
  });
  const newer = candidate ? modelLabel(candidate) : "latest";
  for (const e of running) {
    const done = await prisma.driftEvaluation.updateMany({
      where: { id: e.id, status: "running" },
      data: { status: "superseded", verdict: `superseded: Nyckel's newer model ${newer} is evaluated instead`, decidedAt: new Date() },
    });
    if (done.count === 1 && e.runId) await cancelComparisonRun(ctx, e.runId).catch(() => undefined); // it may have ended meanwhile
  }
}

/**
 * "Evaluate latest now" (editors): asks drift watch to evaluate Nyckel's
 * current model (latest when Nyckel reports none) for every watching
 * environment, through the same job as a discovery. Says what will happen.
 */
export async function requestEvaluationNow(ctx: ServiceContext, raw: { functionId: string }): Promise<{ message: string }> {
  authorize(ctx, "comparisons:run");
  const { functionId } = parseInput(evaluateNowSchema, raw);
  const fn = await prisma.nyckelFunction.findUnique({
    where: { id: functionId },
    select: { id: true, name: true, currentModelId: true, goldenSampleSet: { select: { name: true, deletedAt: true } } },
  });
  if (!fn) throw new NotFoundError("That function does not exist.");
  if (!fn.goldenSampleSet || fn.goldenSampleSet.deletedAt) {
    throw new InvalidInputError(`${fn.name} has no golden set. Choose one of its sample sets in the Golden set section of its page first.`);
  }
  const watching = await prisma.environment.findMany({ where: { watchNewModels: true }, orderBy: { sortOrder: "asc" }, select: { name: true } });
  if (watching.length === 0) {
    throw new InvalidInputError("No environment watches new models. An admin turns on “Watch new models” in an environment's policy (Settings → Environments).");
  }
  const model = fn.currentModelId
    ? await prisma.model.findUnique({ where: { functionId_modelId: { functionId: fn.id, modelId: fn.currentModelId } }, select: { modelId: true, nickname: true } })
    : null;
  const what = fn.currentModelId ? `Nyckel's latest model ${modelLabel(model ?? { modelId: fn.currentModelId })}` : "latest (Nyckel reports no current model id)";
  const jobId = await requestDriftEvaluation({ functionId: fn.id, candidateModelId: fn.currentModelId, trigger: "manual" });
  if (!jobId) return { message: `${what} was sent for evaluation less than a minute ago; its result appears here when its runs finish.` };
  return {
    message: `Drift watch is comparing ${what} with the pins of ${watching.map((e) => e.name).join(", ")} on the golden set “${fn.goldenSampleSet.name}”. The verdict appears here when the runs finish (reload in a minute).`,
  };
}
