import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { createEnvironment, updateEnvironment } from "@/lib/environments/service";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { QUEUES, stopBoss } from "@/lib/jobs/boss";
import { parseTextLines } from "@/lib/samples/parse";
import { createSampleSet, deleteSampleSet } from "@/lib/samples/service";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { runTsx } from "@/scripts/testing/run-tsx";
import { setGoldenSet } from "./golden";
import { PROBE_SAMPLES } from "./probe";
import { SCHEDULED_SYNC_ACTOR, runScheduledSync, startFunctionSyncWorker, syncAndWatch } from "./scheduled-sync";
import { syncFunctions } from "./service";

/**
 * Drift watch's side of the sync (real PostgreSQL, the emulator as Nyckel): the scheduled sync, the
 * drift-evaluate requests it sends, the model.discovered webhook event, golden sets, the environments'
 * watch policy and the latest probe when Nyckel reports no current model id.
 */
const emulator = emulatorAsNyckelForFile();
const sys = systemContext("test");
const triage = seededFunction("support-triage");
const sentiment = seededFunction("review-sentiment");
const pets = seededFunction("pets");
const started = new Date();

afterAll(() => stopBoss());

type JobData = { functionId: string; candidateModelId: string | null; trigger: string };

async function driftJobs(functionId: string): Promise<JobData[]> {
  const rows = await prisma.$queryRaw<Array<{ data: JobData }>>`
    SELECT data FROM pgboss.job WHERE name = ${QUEUES.driftEvaluate} AND data->>'functionId' = ${functionId} AND created_on >= ${started}::timestamptz
    ORDER BY created_on`;
  return rows.map((r) => r.data);
}

/**
 * A new model in the emulator, under an id of its own: the emulator's default ids continue a
 * deterministic sequence, so another file's emulator (same database) may already have made that id known.
 */
async function addModel(functionId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${emulator().url}/_emulator/functions/${functionId}/models`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ modelId: `model_sync${randomBytes(5).toString("hex")}`, ...body }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function textSet(functionId: string, name: string, lines: string[]) {
  return createSampleSet(sys, { functionId, name: `${name}-${Date.now().toString(36)}`, result: parseTextLines(lines.join("\n"), { inputKind: "text" }) });
}

const TICKETS = ["I was charged twice", "I cannot log in", "Please refund my order", "The app crashes on start", "Add dark mode please", "My password reset mail never came"];

describe("golden sets", () => {
  it("an editor sets and clears a function's golden set; each change is audited, a repeat changes nothing", async () => {
    await syncFunctions(sys);
    const set = await textSet(triage.id, "golden", TICKETS);
    const editor = { actor: { id: null, role: "editor" as const, label: "ed@example.com" }, requestId: "req-golden-1" };
    const first = await setGoldenSet(editor, { functionId: triage.id, sampleSetId: set.id });
    expect(first).toMatchObject({ changed: true, after: { id: set.id, name: set.name } });
    expect(await setGoldenSet(editor, { functionId: triage.id, sampleSetId: set.id })).toMatchObject({ changed: false });
    const events = await prisma.auditEvent.findMany({ where: { action: "function.golden_set_changed", functionId: triage.id, requestId: "req-golden-1" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorLabel: "ed@example.com", targetType: "function", targetId: triage.id, after: { goldenSampleSet: { id: set.id, name: set.name } } });

    const cleared = await setGoldenSet({ ...editor, requestId: "req-golden-2" }, { functionId: triage.id, sampleSetId: null });
    expect(cleared).toMatchObject({ changed: true, before: { id: set.id }, after: null });
    expect((await prisma.nyckelFunction.findUniqueOrThrow({ where: { id: triage.id } })).goldenSampleSetId).toBeNull();
    const clearEvent = await prisma.auditEvent.findFirstOrThrow({ where: { action: "function.golden_set_changed", requestId: "req-golden-2" } });
    expect(clearEvent.before).toMatchObject({ goldenSampleSet: { id: set.id } });
    expect(clearEvent.after).toEqual({ goldenSampleSet: null });
  });

  it("refuses, saying why: another function's set, a set of another input type, a missing or deleted set, a viewer", async () => {
    const otherFunctions = await textSet(sentiment.id, "sentiment", ["great", "awful"]);
    const wrongKind = await textSet(pets.id, "pets-text", ["a cat on a mat", "a dog in a fog"]);
    const deleted = await textSet(triage.id, "deleted", ["x", "y"]);
    await deleteSampleSet(sys, { id: deleted.id });
    const eventsBefore = await prisma.auditEvent.count({ where: { action: "function.golden_set_changed" } });

    const err = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);
    const foreign = await err(setGoldenSet(sys, { functionId: triage.id, sampleSetId: otherFunctions.id }));
    expect(foreign).toBeInstanceOf(InvalidInputError);
    expect(foreign!.message).toBe(
      `"${otherFunctions.name}" is a sample set of Review sentiment (Text input), not of Support ticket triage: a golden set must be one of Support ticket triage's own sample sets.`,
    );
    const kind = await err(setGoldenSet(sys, { functionId: pets.id, sampleSetId: wrongKind.id }));
    expect(kind).toBeInstanceOf(InvalidInputError);
    expect(kind!.message).toBe(`"${wrongKind.name}" holds text samples, but Cat vs dog vs bird takes Image input: it cannot be the golden set.`);
    for (const id of [deleted.id, "00000000-0000-4000-8000-000000000000"]) {
      const missing = await err(setGoldenSet(sys, { functionId: triage.id, sampleSetId: id }));
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing!.message).toBe("That sample set does not exist or was deleted: choose another of this function's sample sets.");
    }
    const noFunction = await err(setGoldenSet(sys, { functionId: "function_doesnotexist0000", sampleSetId: null }));
    expect(noFunction).toBeInstanceOf(NotFoundError);
    const viewer = { actor: { id: "00000000-0000-4000-8000-000000000001", role: "viewer" as const, label: "v@example.com" }, requestId: "r" };
    await expect(setGoldenSet(viewer, { functionId: triage.id, sampleSetId: null })).rejects.toThrow();
    expect(await prisma.auditEvent.count({ where: { action: "function.golden_set_changed" } })).toBe(eventsBefore);
  });
});

describe("watch policy per environment", () => {
  it("stores watch new models and the drift significance, audited; the significance must be in (0, 0.5)", async () => {
    const slug = `drift-${Date.now().toString(36)}`;
    const base = { name: "Drift env", sortOrder: 50, protected: true, approvalsRequired: 1, rejectionBlocks: true, requestExpiryHours: null, minAgreementPct: null };
    const env = await createEnvironment(sys, { ...base, slug });
    expect(env).toMatchObject({ watchNewModels: false, driftSignificance: 0.05 });
    for (const bad of [0, 0.5, 0.7, -0.01]) {
      const e = await updateEnvironment(sys, { id: env.id, ...base, driftSignificance: bad }).then(() => null, (x: unknown) => x as InvalidInputError);
      expect(e, String(bad)).toBeInstanceOf(InvalidInputError);
      expect(e!.message).toBe("The drift significance is above 0 and below 0.5, like 0.05.");
      expect(e!.fieldErrors).toMatchObject({ driftSignificance: ["The drift significance is above 0 and below 0.5, like 0.05."] });
    }
    const after = await updateEnvironment(sys, { id: env.id, ...base, watchNewModels: true, driftSignificance: 0.01 });
    expect(after).toMatchObject({ watchNewModels: true, driftSignificance: 0.01 });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "environment.updated", environmentId: env.id }, orderBy: { id: "desc" } });
    expect(event.before).toMatchObject({ watchNewModels: false, driftSignificance: 0.05 });
    expect(event.after).toMatchObject({ watchNewModels: true, driftSignificance: 0.01 });
  });
});

describe("the scheduled sync", () => {
  it("discovers a model added in Nyckel: model.discovered in the audit log and the webhook outbox, ONE drift-evaluate job only where there is a golden set", async () => {
    const golden = await textSet(triage.id, "golden-sync", TICKETS);
    await setGoldenSet(sys, { functionId: triage.id, sampleSetId: golden.id });
    await setGoldenSet(sys, { functionId: sentiment.id, sampleSetId: null });
    await runScheduledSync(); // whatever earlier files left behind
    const [triageBefore, sentimentBefore] = [await driftJobs(triage.id), await driftJobs(sentiment.id)];
    const previous = (await prisma.nyckelFunction.findUniqueOrThrow({ where: { id: triage.id } })).currentModelId;

    const [newTriage, newSentiment] = [await addModel(triage.id), await addModel(sentiment.id)];
    const result = await runScheduledSync();
    if (!("report" in result)) throw new Error("the sync was skipped");
    expect(result.report.discoveredModels).toEqual(
      expect.arrayContaining([
        { functionId: triage.id, modelId: newTriage },
        { functionId: sentiment.id, modelId: newSentiment },
      ]),
    );
    expect(result.requested).toEqual([{ functionId: triage.id, candidateModelId: newTriage, trigger: "discovered" }]);
    expect((await driftJobs(triage.id)).slice(triageBefore.length)).toEqual([{ functionId: triage.id, candidateModelId: newTriage, trigger: "discovered" }]);
    expect(await driftJobs(sentiment.id)).toHaveLength(sentimentBefore.length);

    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: "model.discovered", functionId: triage.id }, orderBy: { id: "desc" } });
    expect(audit).toMatchObject({ actorLabel: SCHEDULED_SYNC_ACTOR, after: { modelId: newTriage } });
    const webhook = await prisma.webhookEvent.findFirstOrThrow({ where: { type: "model.discovered", functionId: triage.id }, orderBy: { createdAt: "desc" } });
    expect(webhook.payload).toMatchObject({
      function: { id: triage.id, name: triage.name },
      model: { modelId: newTriage },
      previousModelId: previous,
      actor: SCHEDULED_SYNC_ACTOR,
      auditEventId: audit.id.toString(),
    });

    // The next syncs discover nothing new: no second job.
    await runScheduledSync();
    expect((await driftJobs(triage.id)).slice(triageBefore.length)).toHaveLength(1);
  });

  it("\"Sync now\" by an editor is the same sync: its discovery asks for the evaluation too, as the editor", async () => {
    const before = (await driftJobs(triage.id)).length;
    const modelId = await addModel(triage.id);
    const editor = { actor: { id: null, role: "editor" as const, label: "ed@example.com" }, requestId: "req-sync-now" };
    const { requested } = await syncAndWatch(editor);
    expect(requested).toEqual([{ functionId: triage.id, candidateModelId: modelId, trigger: "discovered" }]);
    expect((await driftJobs(triage.id)).slice(before)).toEqual([{ functionId: triage.id, candidateModelId: modelId, trigger: "discovered" }]);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: "model.discovered", requestId: "req-sync-now" } });
    expect(audit.actorLabel).toBe("ed@example.com");
  });

  it("npm run functions:sync syncs once, as cli, and says what changed and what it asked drift watch for", async () => {
    const modelId = await addModel(triage.id);
    const run = await runTsx("scripts/sync-functions.ts");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("Synced: 1 updated (Support ticket triage); 1 new current model id discovered. Drift watch: 1 evaluation(s) requested.");
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: "model.discovered", functionId: triage.id }, orderBy: { id: "desc" } });
    expect(audit).toMatchObject({ actorLabel: "cli", after: { modelId } });
    expect((await driftJobs(triage.id)).at(-1)).toEqual({ functionId: triage.id, candidateModelId: modelId, trigger: "discovered" });
  });

  it("runs when the worker starts and then every interval", async () => {
    const modelId = await addModel(triage.id);
    await startFunctionSyncWorker(2);
    const seen = async () => (await prisma.model.findUnique({ where: { functionId_modelId: { functionId: triage.id, modelId } } })) !== null;
    for (const until = Date.now() + 20_000; !(await seen()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    expect(await seen(), "the first sync at start registered the new model").toBe(true);
    const later = await addModel(triage.id);
    const seenLater = async () => (await prisma.model.findUnique({ where: { functionId_modelId: { functionId: triage.id, modelId: later } } })) !== null;
    for (const until = Date.now() + 20_000; !(await seenLater()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    expect(await seenLater(), "a later scheduled sync registered the next model").toBe(true);
    await stopBoss();
    expect((await driftJobs(triage.id)).filter((j) => j.candidateModelId === modelId || j.candidateModelId === later)).toHaveLength(2);

    // A restart syncs at once, even with the default 10 minutes between scheduled syncs.
    const afterRestart = await addModel(triage.id);
    await startFunctionSyncWorker(600);
    const seenAfterRestart = async () => (await prisma.model.findUnique({ where: { functionId_modelId: { functionId: triage.id, modelId: afterRestart } } })) !== null;
    for (const until = Date.now() + 20_000; !(await seenAfterRestart()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    expect(await seenAfterRestart(), "the first sync after a restart").toBe(true);
    await stopBoss();
  });

  it("without a current model id from Nyckel: probes latest on five golden samples, and a changed answer asks for ONE pin-vs-latest evaluation", async () => {
    const hide = await fetch(`${emulator().url}/_emulator/model-id`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"reported":false}' });
    expect(await hide.json()).toEqual({ reported: false });
    await fetch(`${emulator().url}/_emulator/counters`, { method: "DELETE" });
    const golden = await textSet(triage.id, "golden-probe", TICKETS);
    await setGoldenSet(sys, { functionId: triage.id, sampleSetId: golden.id });
    const jobsBefore = (await driftJobs(triage.id)).length;

    const first = await runScheduledSync();
    if (!("report" in first)) throw new Error("the sync was skipped");
    expect((await prisma.nyckelFunction.findUniqueOrThrow({ where: { id: triage.id } })).currentModelId).toBeNull();
    expect(first.probes).toContainEqual(expect.objectContaining({ functionId: triage.id, status: "baseline" }));
    const invokes = (await (await fetch(`${emulator().url}/_emulator/invokes`)).json()) as Array<{ functionId: string; modelIdParam: string | null; query: Record<string, string> }>;
    const probed = invokes.filter((i) => i.functionId === triage.id);
    expect(probed).toHaveLength(PROBE_SAMPLES);
    expect(probed.every((i) => i.modelIdParam === null && i.query.capture === "false")).toBe(true);

    const second = await runScheduledSync();
    expect("report" in second && second.probes).toContainEqual(expect.objectContaining({ functionId: triage.id, status: "unchanged" }));
    expect(await driftJobs(triage.id)).toHaveLength(jobsBefore);

    await addModel(triage.id, { flipShare: 1 }); // every answer changes
    const third = await runScheduledSync();
    if (!("report" in third)) throw new Error("the sync was skipped");
    expect(third.report.discoveredModels).toEqual([]);
    expect(third.probes).toContainEqual(expect.objectContaining({ functionId: triage.id, status: "changed" }));
    expect((await driftJobs(triage.id)).slice(jobsBefore)).toEqual([{ functionId: triage.id, candidateModelId: null, trigger: "latest_probe" }]);
    await stopBoss();
  });
});
