import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runComparisonJob } from "@/lib/compare/worker";
import { systemContext, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { syncFunctions } from "@/lib/functions/service";
import { stopBoss } from "@/lib/jobs/boss";
import { setPin } from "@/lib/pins/service";
import { ForbiddenError } from "@/lib/errors";
import { approveRequest } from "@/lib/promotions/service";
import { parseCsv, parseTextLines } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { predict } from "@/scripts/emulator/models";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { concludeDriftEvaluation } from "./conclude";
import { getDriftOverview } from "./queries";
import { requestEvaluationNow } from "./service";
import { handleDriftJob, startDriftWorker, sweepDriftEvaluations } from "./worker";

/**
 * Drift watch against the emulator and the real PostgreSQL: a discovered
 * model is evaluated in every watching environment (its own environments
 * here), the runs go through the comparison worker's job function, and the
 * run-ended hook (startDriftWorker) concludes them.
 */
const emulator = emulatorAsNyckelForFile({ rateLimit: false });
const sys = systemContext("test");
const fn = seededFunction("review-sentiment");
const tag = () => randomBytes(3).toString("hex");
const WORDS = ["great", "terrible", "okay", "love it", "awful", "fine", "excellent", "bad", "decent", "amazing"];
const TEXTS = Array.from({ length: 80 }, (_, i) => `review ${i}: ${WORDS[i % WORDS.length]} product, ${(i * 7919) % 1000}`);
let plainSetId: string;
let approver: ServiceContext;
const watching: string[] = [];

async function environment(name: string, policy: { protected?: boolean; approvalsRequired?: number; minAgreementPct?: number | null } = {}) {
  const env = await createEnvironment(sys, {
    slug: `drift-${tag()}`,
    name,
    sortOrder: 60,
    protected: policy.protected ?? true,
    approvalsRequired: policy.approvalsRequired ?? 1,
    rejectionBlocks: true,
    requestExpiryHours: null,
    minAgreementPct: policy.minAgreementPct ?? null,
  });
  await prisma.environment.update({ where: { id: env.id }, data: { watchNewModels: true } });
  watching.push(env.id);
  return env;
}

/** Only the environments of the current test watch (evaluateDrift visits every watching environment). */
async function watchOnly(...ids: string[]) {
  await prisma.environment.updateMany({ where: { id: { in: watching.filter((id) => !ids.includes(id)) } }, data: { watchNewModels: false } });
}

async function modelRef(modelId: string) {
  return prisma.model.findUniqueOrThrow({ where: { functionId_modelId: { functionId: fn.id, modelId } }, select: { id: true } });
}

async function pinTo(environmentId: string, modelId: string) {
  const { protected: breakGlass } = await prisma.environment.findUniqueOrThrow({ where: { id: environmentId }, select: { protected: true } });
  const v = (await prisma.pin.findUnique({ where: { environmentId_functionId: { environmentId, functionId: fn.id } }, select: { version: true } }))?.version ?? 0;
  await setPin(sys, { environmentId, functionId: fn.id, modelRefId: (await modelRef(modelId)).id, expectedVersion: v, reason: "drift test base", kind: "pin", breakGlass });
}

/** Nyckel retrains: a new model in the emulator, discovered by a sync (registered as discovered). */
async function newNyckelModel(flipShare: number): Promise<string> {
  const model = emulator().state.addModel(fn.id, { flipShare });
  const report = await syncFunctions(sys);
  expect(report.discoveredModels).toContainEqual({ functionId: fn.id, modelId: model.id });
  return model.id;
}

/** The job drift-sync sends, handled by the worker; every started run executed (the hook concludes it). */
async function evaluate(candidateModelId: string | null, trigger: "discovered" | "manual" | "latest_probe" = "discovered") {
  const result = await handleDriftJob({ functionId: fn.id, candidateModelId, trigger });
  for (const s of result.starts) if (s.runId) await runComparisonJob(s.runId);
  return result;
}

async function evaluationOf(environmentId: string, candidateModelId: string | null) {
  return prisma.driftEvaluation.findFirstOrThrow({ where: { functionId: fn.id, environmentId, candidateModelId }, orderBy: { createdAt: "desc" } });
}

beforeAll(async () => {
  await syncFunctions(sys);
  const set = await createSampleSet(sys, { functionId: fn.id, name: `drift golden ${tag()}`, result: parseTextLines(TEXTS.join("\n"), { inputKind: "text" }) });
  plainSetId = set.id;
  await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: plainSetId } });
  const u = await prisma.user.create({ data: { email: `drift-approver-${tag()}@example.com`, name: "Drift approver", role: "approver" }, select: { id: true, email: true } });
  approver = { actor: { id: u.id, role: "approver", label: u.email }, requestId: `test-${tag()}` };
  await startDriftWorker();
});

afterAll(async () => {
  await prisma.environment.updateMany({ where: { id: { in: watching } }, data: { watchNewModels: false } });
  await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: null } });
  await stopBoss();
});

describe("drift watch", () => {
  it("discovery → run → candidate: a request to the new model by drift watch, the run as evidence, audit and webhook", async () => {
    const env = await environment(`Drift gated ${tag()}`, { minAgreementPct: 80 });
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    const model = await newNyckelModel(0.05);

    const result = await evaluate(model);
    expect(result.starts).toEqual([expect.objectContaining({ environment: env.name, outcome: "started" })]);
    const e = await evaluationOf(env.id, model);
    expect(e).toMatchObject({ status: "candidate_opened", trigger: "discovered", baseVersion: 1, baseModelId: fn.modelIds.at(-1) });
    expect(e.verdict).toMatch(/^agreement \d+% \(95% CI \d+–\d+%, \d+ of 80\); the golden set has no ground truth$/);

    const run = await prisma.comparisonRun.findUniqueOrThrow({ where: { id: e.runId! } });
    expect(run).toMatchObject({ status: "finished", createdByLabel: "drift watch", modelA: fn.modelIds.at(-1), modelB: model, sampleSetId: plainSetId });
    const request = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: e.requestId! } });
    expect(request).toMatchObject({ status: "pending", requestedById: null, requestedByLabel: "drift watch", evidenceRunId: run.id, targetModelId: model, approvalsRequired: 1 });
    expect(request.reason).toContain(`Nyckel's new model ${model}`);

    const audit = await prisma.auditEvent.findMany({ where: { environmentId: env.id, action: { in: ["request.opened", "drift.candidate_opened"] } }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.actorLabel, a.targetId])).toEqual([
      ["request.opened", "drift watch", request.id],
      ["drift.candidate_opened", "drift watch", request.id],
    ]);
    const hooks = await prisma.webhookEvent.findMany({ where: { environmentId: env.id, type: { in: ["request.opened", "drift.candidate"] } } });
    const candidate = hooks.find((h) => h.type === "drift.candidate");
    expect(hooks.map((h) => h.type).sort()).toEqual(["drift.candidate", "request.opened"]);
    expect(candidate?.payload).toMatchObject({ candidate: { modelId: model }, request: { id: request.id, number: request.number }, runId: run.id, actor: "drift watch" });
  });

  it("rejection: the reason in plain words, drift.rejected (audit and webhook), and no request", async () => {
    const env = await environment(`Drift strict ${tag()}`, { minAgreementPct: 80 });
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    const model = await newNyckelModel(0.7);

    await evaluate(model);
    const e = await evaluationOf(env.id, model);
    expect(e.status).toBe("rejected");
    expect(e.verdict).toMatch(new RegExp(`^agreement \\d+% \\(95% CI \\d+–\\d+%\\) is below ${env.name}'s 80%$`));
    expect(e.requestId).toBeNull();
    expect(await prisma.promotionRequest.count({ where: { environmentId: env.id } })).toBe(0);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { environmentId: env.id, action: "drift.rejected" } });
    expect(audit).toMatchObject({ actorLabel: "drift watch", reason: e.verdict, targetType: "comparison_run", targetId: e.runId });
    const hook = await prisma.webhookEvent.findFirstOrThrow({ where: { environmentId: env.id, type: "drift.rejected" } });
    expect(hook.payload).toMatchObject({ verdict: e.verdict, candidate: { modelId: model }, request: null });
  });

  it("never two candidates for the same function, environment and model", async () => {
    const env = await environment(`Drift once ${tag()}`);
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    const model = await newNyckelModel(0.05);

    // Twice while the first is running: the second is not started.
    const first = await handleDriftJob({ functionId: fn.id, candidateModelId: model, trigger: "discovered" });
    const second = await handleDriftJob({ functionId: fn.id, candidateModelId: model, trigger: "manual" });
    expect(first.starts[0]?.outcome).toBe("started");
    expect(second.starts).toEqual([{ environment: env.name, outcome: "already_running", reason: "already being evaluated" }]);
    await runComparisonJob(first.starts[0]!.runId!);
    // Once its candidate is open: skipped, saying which request proposes it.
    const third = await evaluate(model, "manual");
    const open = await prisma.promotionRequest.findMany({ where: { environmentId: env.id, targetModelId: model } });
    expect(open).toHaveLength(1);
    expect(third.starts[0]).toMatchObject({ outcome: "skipped", reason: `request #${open[0]!.number} already proposes ${model} for ${env.name}` });
  });

  it("a newer model supersedes the open candidate: cancelled with that reason", async () => {
    const env = await environment(`Drift newer ${tag()}`);
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    const older = await newNyckelModel(0.05);
    await evaluate(older);
    const olderEval = await evaluationOf(env.id, older);
    expect(olderEval.status).toBe("candidate_opened");

    const newer = await newNyckelModel(0.05);
    await evaluate(newer);
    const newerEval = await evaluationOf(env.id, newer);
    expect(newerEval.status).toBe("candidate_opened");
    const newerRequest = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: newerEval.requestId! } });
    const olderRequest = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: olderEval.requestId! } });
    expect(olderRequest.status).toBe("cancelled");
    expect(olderRequest.statusReason).toBe(`Superseded by a newer model: drift watch opened request #${newerRequest.number} for ${newer}.`);
    expect((await evaluationOf(env.id, older)).status).toBe("superseded");
  });

  it("a drift candidate needs a human approval even where the policy needs none", async () => {
    const env = await environment(`Drift open ${tag()}`, { protected: false, approvalsRequired: 0 });
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    const model = await newNyckelModel(0.05);
    await evaluate(model);
    const e = await evaluationOf(env.id, model);
    const request = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: e.requestId! } });
    expect(request).toMatchObject({ status: "pending", approvalsRequired: 1 });
    const pin = () => prisma.pin.findUniqueOrThrow({ where: { environmentId_functionId: { environmentId: env.id, functionId: fn.id } }, select: { version: true, model: { select: { modelId: true } } } });
    expect(await pin()).toEqual({ version: 1, model: { modelId: fn.modelIds.at(-1) } });

    const outcome = await approveRequest(approver, { requestId: request.id });
    expect(outcome.status).toBe("applied");
    expect(await pin()).toEqual({ version: 2, model: { modelId: model } });
  });

  it("latest (Nyckel reports no model id): the evaluation ends awaiting a model id, and opens nothing", async () => {
    const env = await environment(`Drift latest ${tag()}`);
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    emulator().state.addModel(fn.id, { flipShare: 0.05 });
    await evaluate(null, "latest_probe");
    const e = await evaluationOf(env.id, null);
    expect(e).toMatchObject({ status: "awaiting_model_id", trigger: "latest_probe", requestId: null });
    expect(e.verdict).toMatch(/^latest passes against .*'s pin \(agreement .*\); Nyckel reports no model id, so register the new model's id/);
    const run = await prisma.comparisonRun.findUniqueOrThrow({ where: { id: e.runId! } });
    expect(run.modelB).toBeNull();
    expect(await prisma.auditEvent.count({ where: { environmentId: env.id, action: "drift.awaiting_model_id" } })).toBe(1);
    expect(await prisma.promotionRequest.count({ where: { environmentId: env.id } })).toBe(0);
  });

  it("with ground truth a worse model is rejected by McNemar's test at the environment's significance", async () => {
    const env = await environment(`Drift truth ${tag()}`);
    await watchOnly(env.id);
    const pinModel = fn.modelIds.at(-1)!;
    await pinTo(env.id, pinModel);
    // Ground truth = what the pin answers: a model that changes its mind on 40% of the set can only be worse.
    const f = emulator().state.findFunction(fn.id)!;
    const pinIndex = f.models.findIndex((m) => m.id === pinModel);
    const rows = TEXTS.map((text) => `"${text}",${f.labels[predict(f.id, f.labels, f.models, pinIndex, { kind: "text", text }).top]!.name}`);
    const set = await createSampleSet(sys, { functionId: fn.id, name: `drift truth ${tag()}`, result: parseCsv(["text,label", ...rows].join("\n")) });
    await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: set.id } });
    try {
      const model = await newNyckelModel(0.4);
      await evaluate(model);
      const e = await evaluationOf(env.id, model);
      expect(e.status).toBe("rejected");
      expect(e.verdict).toMatch(/^accuracy \d+% is worse than .*'s pin's 100% on the golden set's ground truth \(the pin alone was right on \d+ samples, the new model alone on 0; McNemar p < 0\.001 < 0\.05\)$/);
    } finally {
      await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: plainSetId } });
    }
  });

  it("the sweep concludes an evaluation whose run ended while nobody listened; concluding twice changes nothing", async () => {
    const env = await environment(`Drift sweep ${tag()}`, { minAgreementPct: 80 });
    await watchOnly(env.id);
    await pinTo(env.id, fn.modelIds.at(-1)!);
    const model = await newNyckelModel(0.7);
    const result = await handleDriftJob({ functionId: fn.id, candidateModelId: model, trigger: "discovered" });
    const runId = result.starts[0]!.runId!;
    // The run finishes behind drift watch's back (no hook): its evaluation is still running.
    const { executeRun } = await import("@/lib/compare/runner");
    const { getNyckelClient } = await import("@/lib/nyckel-settings/connection");
    await executeRun(runId, { client: (await getNyckelClient())!.client });
    expect((await evaluationOf(env.id, model)).status).toBe("running");
    expect(await sweepDriftEvaluations()).toBeGreaterThanOrEqual(1);
    expect((await evaluationOf(env.id, model)).status).toBe("rejected");
    expect(await concludeDriftEvaluation(runId)).toBeNull();
    expect(await prisma.auditEvent.count({ where: { environmentId: env.id, action: "drift.rejected" } })).toBe(1);
  });

  it("the overview: Nyckel's latest model, each pin, how many discovered models it is behind, and the last evaluation", async () => {
    const env = await environment(`Drift overview ${tag()}`);
    await watchOnly(env.id);
    const pinned = await newNyckelModel(0.05);
    await pinTo(env.id, pinned);
    const model = await newNyckelModel(0.05);
    const cellOf = async () => {
      const drift = await getDriftOverview();
      const f = drift.functions.find((x) => x.id === fn.id)!;
      expect(f.latest).toEqual({ modelId: model, label: model });
      expect(drift.withoutGoldenSet.map((x) => x.id)).not.toContain(fn.id);
      return f.cells[drift.environments.findIndex((e) => e.id === env.id)]!;
    };
    expect(await cellOf()).toMatchObject({ pin: { modelId: pinned }, behind: 1, last: null });
    await evaluate(model);
    const cell = await cellOf();
    const request = await prisma.promotionRequest.findFirstOrThrow({ where: { environmentId: env.id, targetModelId: model } });
    expect(cell.last).toMatchObject({ status: "candidate_opened", candidate: model, request: { id: request.id, number: request.number, status: "pending" } });
    expect(cell.last!.agreement!.n).toBe(80);
  });

  it("Evaluate latest now: editors send Nyckel's current model to drift watch and are told what happens, or why not", async () => {
    const env = await environment(`Drift now ${tag()}`);
    await watchOnly(env.id);
    const member = async (role: "editor" | "viewer") => {
      const u = await prisma.user.create({ data: { email: `drift-${role}-${tag()}@example.com`, name: role, role }, select: { id: true, email: true } });
      return { actor: { id: u.id, role, label: u.email }, requestId: `test-${tag()}` } satisfies ServiceContext;
    };
    const editor = await member("editor");
    const { currentModelId } = await prisma.nyckelFunction.findUniqueOrThrow({ where: { id: fn.id }, select: { currentModelId: true } });
    const first = await requestEvaluationNow(editor, { functionId: fn.id });
    expect(first.message).toBe(
      `Drift watch is comparing Nyckel's latest model ${currentModelId} with the pins of ${env.name} on the golden set “${(await prisma.sampleSet.findUniqueOrThrow({ where: { id: plainSetId } })).name}”. The verdict appears here when the runs finish (reload in a minute).`,
    );
    expect((await requestEvaluationNow(editor, { functionId: fn.id })).message).toBe(
      `Nyckel's latest model ${currentModelId} was sent for evaluation less than a minute ago; its result appears here when its runs finish.`,
    );
    await expect(requestEvaluationNow(await member("viewer"), { functionId: fn.id })).rejects.toThrow(ForbiddenError);
    await watchOnly();
    await expect(requestEvaluationNow(editor, { functionId: fn.id })).rejects.toThrow(/^No environment watches new models\./);
    await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: null } });
    await expect(requestEvaluationNow(editor, { functionId: fn.id })).rejects.toThrow(`${fn.name} has no golden set. Choose one of its sample sets in the Golden set section of its page first.`);
    await expect(requestEvaluationNow(editor, { functionId: "function_nope" })).rejects.toThrow("That function does not exist.");
  });
});
