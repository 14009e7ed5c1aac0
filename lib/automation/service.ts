import "server-only";
import { getRunReport } from "@/lib/compare/queries";
import { getRunProgress, startComparisonRun } from "@/lib/compare/service";
import type { ModelChoice } from "@/lib/compare/schemas";
import type { ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnprocessableError } from "@/lib/errors";
import { registerModel } from "@/lib/models/service";
import { ensurePrefix } from "@/lib/nyckel/ids";
import { currentPin } from "@/lib/pins/locks";
import { evaluateGate, gatePolicyOf } from "@/lib/promotions/gate";
import { cancelRequest, createRequest } from "@/lib/promotions/service";
import { previewOf } from "@/lib/samples/preview";
import { saveSampleSetUpload } from "@/lib/samples/service";
import { inputKindFor } from "@/lib/samples/upload";
import type { EnvironmentEntry } from "@/lib/serving/cache";
import { TEXT_LIMITS } from "@/lib/text-limits";
import {
  comparisonStatusSchema,
  registeredModelSchema,
  requestStatusSchema,
  sampleSetCreatedSchema,
  type ComparisonStatus,
  type OpenRequestBody,
  type RegisterModelBody,
  type StartComparisonBody,
} from "./schemas";

/**
 * What the automation API does (issue 19), on the dashboard's own services:
 * the token's ServiceContext (actor `token: <name>`) goes to registerModel,
 * saveSampleSetUpload, startComparisonRun, createRequest and cancelRequest,
 * which keep every rule and audit every write. This module adds only what a
 * token is bound by: its environment.
 */

const NOT_REGISTERED = (modelId: string) => `The model id ${modelId} is not registered for this function. Register it first (POST …/models).`;

export function canonicalFunction(functionId: string): string {
  return ensurePrefix("function", functionId);
}

async function requireFunction(functionId: string) {
  const fn = await prisma.nyckelFunction.findUnique({ where: { id: canonicalFunction(functionId) }, select: { id: true, inputType: true } });
  if (!fn) throw new NotFoundError(`There is no synced function ${JSON.stringify(functionId.slice(0, 80))}. Sync functions in Modelpin first.`);
  return fn;
}

const modelFields = { id: true, functionId: true, modelId: true, nickname: true, notes: true, retiredAt: true, verifiedAt: true, verificationNote: true } as const;
type ModelRow = { id: string; functionId: string; modelId: string; nickname: string; notes: string; retiredAt: Date | null; verifiedAt: Date | null; verificationNote: string | null };
const modelAnswer = (m: ModelRow, created: boolean) =>
  registeredModelSchema.parse({
    id: m.id,
    functionId: m.functionId,
    modelId: m.modelId,
    nickname: m.nickname,
    notes: m.notes,
    retired: m.retiredAt !== null,
    verified: m.verifiedAt !== null,
    verificationNote: m.verificationNote,
    created,
  });

/** Registers a model (201), or answers the registered one (200). Nyckel's check is the models service's. */
export async function registerModelByToken(ctx: ServiceContext, functionId: string, body: RegisterModelBody) {
  const fn = await requireFunction(functionId);
  try {
    // A nickname is required of people; a pipeline that gives none gets the model id (nicknames are at most 60 characters).
    const nickname = body.nickname || body.modelId.slice(0, TEXT_LIMITS.nickname);
    const model = await registerModel(ctx, { functionId: fn.id, modelId: body.modelId, nickname, notes: body.notes ?? "" });
    return { status: 201, body: modelAnswer(model, true) };
  } catch (e) {
    // The body's model id is well-formed (its schema): a modelId error left is Nyckel's answer that it does not know it.
    if ((e instanceof InvalidInputError || e instanceof NotFoundError) && e.fieldErrors?.modelId) throw new UnprocessableError(e.message, e.fieldErrors);
    if (!(e instanceof ConflictError)) throw e;
    const existing = await prisma.model.findUnique({ where: { functionId_modelId: { functionId: fn.id, modelId: body.modelId } }, select: modelFields });
    if (!existing) throw e;
    return { status: 200, body: modelAnswer(existing, false) };
  }
}

export type UploadAnswer = { ok: true; body: unknown } | { ok: false; status: number; message: string };

/** A multipart upload, read in bounded memory and saved while it streams (the dashboard's upload). */
export async function uploadSampleSetByToken(ctx: ServiceContext, functionId: string, request: Request): Promise<UploadAnswer> {
  const fn = await requireFunction(functionId);
  const saved = await saveSampleSetUpload(ctx, { functionId: fn.id, inputKind: inputKindFor(fn.inputType) }, request);
  if (!saved.ok) return saved;
  const preview = previewOf(saved.summary);
  const s = saved.summary;
  return {
    ok: true,
    body: sampleSetCreatedSchema.parse({
      id: saved.set.id,
      name: saved.set.name,
      counts: { samples: s.samples, labeled: s.labeled, duplicates: s.duplicates, rejected: s.rejected },
      rejected: preview.rejected.map((r) => ({ row: r.row ?? null, source: r.source, reason: r.reason })),
    }),
  };
}

/** `latest`, `pinned:<the token's environment>`, or a registered model id → the comparison service's choice. */
async function modelChoice(functionId: string, ref: string, environment: EnvironmentEntry, field: string): Promise<ModelChoice> {
  if (ref === "latest") return { kind: "latest" };
  if (ref.startsWith("pinned:")) {
    const slug = ref.slice("pinned:".length);
    if (slug !== environment.slug) {
      throw new ForbiddenError(`This token belongs to the environment "${environment.slug}": ${field} may be pinned:${environment.slug}, not ${JSON.stringify(ref.slice(0, 80))}.`);
    }
    return { kind: "pinned", environmentId: environment.id };
  }
  const model = await prisma.model.findUnique({ where: { functionId_modelId: { functionId, modelId: ref } }, select: { id: true } });
  if (!model) throw new UnprocessableError(NOT_REGISTERED(ref), { [field]: ["Not registered for this function."] });
  return { kind: "model", modelRefId: model.id };
}

export async function startComparisonByToken(ctx: ServiceContext, environment: EnvironmentEntry, functionId: string, body: StartComparisonBody) {
  const fn = await requireFunction(functionId);
  const modelA = await modelChoice(fn.id, body.modelA, environment, "modelA");
  const modelB = await modelChoice(fn.id, body.modelB, environment, "modelB");
  const run = await startComparisonRun(ctx, { functionId: fn.id, sampleSetId: body.sampleSetId, modelA, modelB });
  return { id: run.id, status: "queued" as const };
}

/** Progress, agreement and the evidence-gate verdict of the token's environment. */
export async function comparisonStatusForToken(environment: EnvironmentEntry, runId: string, baseUrl: string): Promise<ComparisonStatus> {
  const [progress, run] = await Promise.all([
    getRunProgress(runId),
    prisma.comparisonRun.findUnique({ where: { id: runId }, select: { functionId: true, modelA: true, modelB: true, finishedAt: true } }),
  ]);
  if (!progress || !run) throw new NotFoundError("That comparison run does not exist.");
  const report = await getRunReport(runId);
  const a = report.agreement;
  const env = await prisma.environment.findUniqueOrThrow({
    where: { id: environment.id },
    select: { name: true, minAgreementPct: true, minAnsweredSamples: true, maxErrorPct: true, gateLowerBound: true },
  });
  const pin = await currentPin(prisma, { environmentId: environment.id, functionId: run.functionId });
  const current = pin.model?.modelId ?? null;
  // The side that is not the current pin is the candidate (B when neither or both are).
  const target = run.modelB === current && run.modelA !== current ? run.modelA : run.modelB;
  const verdict = evaluateGate(
    { id: runId, functionId: run.functionId, status: progress.status, modelA: run.modelA, modelB: run.modelB, finishedAt: run.finishedAt, total: progress.total, agreement: a.n ? { n: a.n, agree: a.agree, rate: a.rate } : null },
    { functionId: run.functionId, environmentName: env.name, currentModelId: current, targetModelId: target, now: new Date() },
    gatePolicyOf(env),
  );
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return comparisonStatusSchema.parse({
    id: runId,
    functionId: run.functionId,
    status: progress.status,
    modelA: run.modelA,
    modelB: run.modelB,
    total: progress.total,
    done: progress.complete,
    failed: progress.failed,
    agreement: { n: a.n, rate: finite(a.rate), low: a.n ? a.ci.low : null, high: a.n ? a.ci.high : null },
    ...(report.accuracy ? { accuracy: { n: report.accuracy.n, a: finite(report.accuracy.a.accuracy), b: finite(report.accuracy.b.accuracy) } } : {}),
    reportUrl: `${baseUrl}/comparisons/${runId}`,
    gate: { environment: environment.slug, passed: verdict.ok, rule: verdict.ok ? null : verdict.code, message: verdict.message },
  });
}

function requireOwnEnvironment(environment: EnvironmentEntry, slug: string) {
  if (slug !== environment.slug) {
    throw new ForbiddenError(`This token belongs to the environment "${environment.slug}"; it cannot ask for promotions in ${JSON.stringify(slug.slice(0, 80))}.`);
  }
}

export async function openRequestByToken(ctx: ServiceContext, environment: EnvironmentEntry, slug: string, body: OpenRequestBody, baseUrl: string) {
  requireOwnEnvironment(environment, slug);
  const fn = await requireFunction(body.functionId);
  let targetModelRefId: string | null = null;
  if (body.targetModelId !== "latest") {
    const model = await prisma.model.findUnique({ where: { functionId_modelId: { functionId: fn.id, modelId: body.targetModelId } }, select: { id: true } });
    if (!model) throw new UnprocessableError(NOT_REGISTERED(body.targetModelId), { targetModelId: ["Not registered for this function."] });
    targetModelRefId = model.id;
  }
  const outcome = await createRequest(ctx, {
    functionId: fn.id,
    environmentId: environment.id,
    targetModelRefId,
    reason: body.reason,
    evidenceRunId: body.evidenceComparisonId ?? null,
  });
  return {
    id: outcome.id,
    number: outcome.number,
    status: outcome.status,
    approvalsRequired: outcome.approvalsRequired,
    gate: { passed: true as const, message: outcome.message },
    url: `${baseUrl}/promotions/${outcome.id}`,
  };
}

/** A request of the token's environment (another environment's: not found, as a missing one). */
export async function requestStatusForToken(environment: EnvironmentEntry, id: string, baseUrl: string) {
  const r = await prisma.promotionRequest.findFirst({
    where: { id, environmentId: environment.id },
    select: {
      id: true,
      number: true,
      status: true,
      statusReason: true,
      functionId: true,
      targetModelId: true,
      requestedByLabel: true,
      approvalsRequired: true,
      appliedVersion: true,
      expiresAt: true,
      decisions: { orderBy: { createdAt: "asc" }, select: { decision: true, userLabel: true, comment: true, createdAt: true } },
    },
  });
  if (!r) throw new NotFoundError("There is no promotion request with that id in this token's environment.");
  return requestStatusSchema.parse({
    id: r.id,
    number: r.number,
    status: r.status,
    statusReason: r.statusReason,
    environment: environment.slug,
    functionId: r.functionId,
    targetModelId: r.targetModelId,
    requestedBy: r.requestedByLabel,
    approvals: r.decisions.filter((d) => d.decision === "approve").length,
    approvalsRequired: r.approvalsRequired,
    decisions: r.decisions.map((d) => ({ decision: d.decision, by: d.userLabel, comment: d.comment, at: d.createdAt.toISOString() })),
    appliedVersion: r.appliedVersion,
    expiresAt: r.expiresAt?.toISOString() ?? null,
    url: `${baseUrl}/promotions/${r.id}`,
  });
}

export async function cancelRequestByToken(ctx: ServiceContext, environment: EnvironmentEntry, id: string, comment: string | undefined, baseUrl: string) {
  await requestStatusForToken(environment, id, baseUrl); // 404 outside the token's environment
  await cancelRequest(ctx, { requestId: id, comment: comment ?? "" });
  return requestStatusForToken(environment, id, baseUrl);
}
