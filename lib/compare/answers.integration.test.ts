import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { NyckelClient } from "@/lib/nyckel/client";
import { parseTextLines } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { countReusedAnswers } from "./answers";
import { runCsvStream } from "./export";
import { listRunSampleRows } from "./queries";
import { executeRun } from "./runner";

/**
 * The answer cache (issue 16 item 6) against the emulator, which counts every
 * invoke it receives. Other test files share the database and the function, so
 * every sample text here carries this file's random tag and the assertions on
 * model_answers look only at this set's content hashes.
 */

const sys = systemContext("test");
const fn = seededFunction("support-triage");
const [M0, M1, M2, M3] = fn.modelIds as [string, string, string, string];
const SAMPLES = 60;
const tag = randomBytes(4).toString("hex");
const texts = Array.from({ length: SAMPLES }, (_, i) => `answers ${tag} ticket ${i}: my ${["invoice", "password", "order", "screen", "refund"][i % 5]} is wrong`);
let emulator: EmulatorHandle;
let setId: string;
let hashes: string[];

function client() {
  return new NyckelClient({
    baseUrl: emulator.url,
    clientId: "modelpin-emulator",
    clientSecret: "modelpin-emulator-secret",
    timeoutMs: 5000,
    maxRetries: 3,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 200,
    rateLimit: { perSecond: 25, concurrency: 25 },
  });
}

async function newSet(lines: readonly string[]) {
  const set = await createSampleSet(sys, { functionId: fn.id, name: `answers-${tag}-${randomBytes(3).toString("hex")}`, result: parseTextLines(lines.join("\n"), { inputKind: "text" }) });
  return set.id;
}

async function newRun(modelA: string | null, modelB: string | null, sampleSetId = setId, status = "queued") {
  return prisma.comparisonRun.create({
    data: { functionId: fn.id, sampleSetId, modelA, modelALabel: modelA ?? "latest", modelB, modelBLabel: modelB ?? "latest", status, total: SAMPLES, createdByLabel: "test" },
  });
}

/** Runs it and returns what the emulator received meanwhile. */
async function run(runId: string, options: { labelCount?: number } = {}) {
  emulator.state.resetCounters();
  await expect(executeRun(runId, { client: client(), ...options })).resolves.toBe("finished");
  const c = emulator.state.counters();
  return { requests: c.requests, invokes: c.invokes, byModel: c.invokesByFunction[fn.id]?.byModelIdReceived ?? {} };
}

const results = (runId: string, side: "a" | "b") =>
  prisma.comparisonResult.findMany({ where: { runId, side }, include: { sample: { select: { contentHash: true } } }, orderBy: { sample: { position: "asc" } } });

const storedAnswers = (modelId: string, optionsKey = "labelCount=5") =>
  prisma.modelAnswer.findMany({ where: { functionId: fn.id, modelId, optionsKey, contentHash: { in: hashes } } });

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, quiet: true, faults: { pathIncludes: "/invoke", latencyRangeMs: [5, 40] } });
  await prisma.nyckelFunction.upsert({
    where: { id: fn.id },
    create: { id: fn.id, name: fn.name, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() },
    update: {},
  });
  setId = await newSet(texts);
  hashes = (await prisma.sample.findMany({ where: { sampleSetId: setId }, select: { contentHash: true } })).map((s) => s.contentHash);
  expect(hashes).toHaveLength(SAMPLES);
});

afterAll(async () => {
  await emulator.close();
  await disconnectPrisma();
});

describe("the answer cache in comparison runs (real PostgreSQL, counting emulator)", () => {
  it("a second run of the same pin against a new model invokes only the new model, and reuses the pin's answers with their original latency", async () => {
    const first = await newRun(M0, M1);
    const one = await run(first.id);
    expect(one.byModel).toEqual({ [M0]: SAMPLES, [M1]: SAMPLES });
    // Each fresh explicit-id answer is stored once, with what the result recorded.
    expect(await storedAnswers(M0)).toHaveLength(SAMPLES);
    expect(await storedAnswers(M1)).toHaveLength(SAMPLES);
    const firstA = await results(first.id, "a");
    expect(firstA.every((r) => !r.reused && r.attempts >= 1)).toBe(true);

    const second = await newRun(M0, M2);
    const two = await run(second.id);
    // Only the new model was invoked: once per sample.
    expect(two.byModel).toEqual({ [M2]: SAMPLES });
    expect(two.invokes).toBe(SAMPLES);
    const secondA = await results(second.id, "a");
    expect(secondA).toHaveLength(SAMPLES);
    // The pin's side is the first run's answers, marked reused, with the first call's latency and no attempt of its own.
    expect(secondA.map((r) => [r.sample.contentHash, r.labelName, r.confidence, r.latencyMs, r.labelConfidences])).toEqual(
      firstA.map((r) => [r.sample.contentHash, r.labelName, r.confidence, r.latencyMs, r.labelConfidences]),
    );
    expect(secondA.every((r) => r.reused && r.ok && r.attempts === 0)).toBe(true);
    expect((await results(second.id, "b")).every((r) => !r.reused && r.attempts >= 1)).toBe(true);
    expect(await countReusedAnswers(second.id)).toEqual({ a: SAMPLES, b: 0 });
    // The run's summary in the audit log says so too.
    expect((await prisma.auditEvent.findFirstOrThrow({ where: { action: "comparison.finished", targetId: second.id } })).after).toMatchObject({ reused: { a: SAMPLES, b: 0 } });
    // Stored once: the second run added M2's answers and did not duplicate M0's.
    expect(await storedAnswers(M0)).toHaveLength(SAMPLES);
    expect(await storedAnswers(M2)).toHaveLength(SAMPLES);

    // The report's rows and the CSV export say which answers were reused.
    const rows = await listRunSampleRows(second.id);
    expect(rows.every((r) => r.a?.ok && r.a.reused === true && r.b?.ok && !r.b.reused)).toBe(true);
    const csv = await new Response(runCsvStream(second.id)).text();
    const [header, ...lines] = csv.trim().split("\n");
    const cols = header!.split(",");
    const aReused = cols.indexOf("a_reused");
    const bReused = cols.indexOf("b_reused");
    expect(aReused).toBeGreaterThan(-1);
    expect(lines.map((l) => l.split(",")[aReused])).toEqual(Array(SAMPLES).fill("yes"));
    expect(lines.map((l) => l.split(",")[bReused])).toEqual(Array(SAMPLES).fill("no"));

    // The same content in another sample set, both sides answered: Nyckel is not called at all (not even for a token).
    const copy = await newSet([...texts].reverse());
    const third = await newRun(M2, M0, copy);
    const three = await run(third.id);
    expect(three.requests).toBe(0);
    expect(await countReusedAnswers(third.id)).toEqual({ a: SAMPLES, b: SAMPLES });
    expect((await prisma.comparisonRun.findUniqueOrThrow({ where: { id: third.id } })).status).toBe("finished");
  }, 60_000);

  it("a different labelCount misses the cache and is stored under its own key", async () => {
    const r = await newRun(M0, M1);
    const got = await run(r.id, { labelCount: 2 });
    expect(got.byModel).toEqual({ [M0]: SAMPLES, [M1]: SAMPLES });
    expect(await countReusedAnswers(r.id)).toEqual({ a: 0, b: 0 });
    const stored = await storedAnswers(M0, "labelCount=2");
    expect(stored).toHaveLength(SAMPLES);
    expect(stored.every((a) => Array.isArray(a.labelConfidences) && a.labelConfidences.length <= 2)).toBe(true);
    // And the labelCount=5 answers are still there, unchanged in number.
    expect(await storedAnswers(M0)).toHaveLength(SAMPLES);
  }, 60_000);

  it("never stores or reuses answers of latest", async () => {
    const before = await prisma.modelAnswer.count({ where: { functionId: fn.id, contentHash: { in: hashes } } });
    for (let i = 0; i < 2; i++) {
      const r = await newRun(null, M0);
      const got = await run(r.id);
      // latest is invoked every time (no modelId sent); the explicit side comes from the cache.
      expect(got.byModel).toEqual({ "(absent)": SAMPLES });
      expect(await countReusedAnswers(r.id)).toEqual({ a: 0, b: SAMPLES });
    }
    // Nothing was stored for latest: no row without a model id, no new row at all.
    expect(await prisma.modelAnswer.count({ where: { functionId: fn.id, contentHash: { in: hashes } } })).toBe(before);
    expect(await prisma.modelAnswer.count({ where: { functionId: fn.id, modelId: "" } })).toBe(0);
  }, 60_000);

  it("resumes an interrupted run: recorded sides stay as they are, cached ones are reused, only the rest is invoked", async () => {
    // Interrupted: the run was running and had recorded side B of its first 10 samples (M3 is new: not cached).
    const r = await newRun(M1, M3, setId, "running");
    const first10 = await prisma.sample.findMany({ where: { sampleSetId: setId }, orderBy: { position: "asc" }, take: 10, select: { id: true } });
    await prisma.comparisonResult.createMany({
      data: first10.map((s) => ({ runId: r.id, sampleId: s.id, side: "b", ok: true, labelName: "x", confidence: 1, latencyMs: 1, attempts: 1 })),
    });
    const got = await run(r.id);
    expect(got.byModel).toEqual({ [M3]: SAMPLES - 10 });
    expect(await prisma.comparisonResult.count({ where: { runId: r.id } })).toBe(2 * SAMPLES);
    expect(await prisma.comparisonResult.count({ where: { runId: r.id, side: "b", labelName: "x" } })).toBe(10);
    expect(await countReusedAnswers(r.id)).toEqual({ a: SAMPLES, b: 0 });
    // Only the answers Nyckel gave were stored (not the 10 recorded before the interruption).
    expect(await storedAnswers(M3)).toHaveLength(SAMPLES - 10);
    // A finished run resumed again sends nothing.
    const again = await run(r.id);
    expect(again.requests).toBe(0);
  }, 60_000);
});
