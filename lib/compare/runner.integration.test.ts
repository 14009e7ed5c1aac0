import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { NyckelClient } from "@/lib/nyckel/client";
import { stripPrefix } from "@/lib/nyckel/ids";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { parseTextLines } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { executeRun } from "./runner";
import { getRunProgress } from "./service";

const sys = systemContext("test");
const fn = seededFunction("support-triage");
let emulator: EmulatorHandle;
let sampleSetId: string;

function client(overrides: Partial<ConstructorParameters<typeof NyckelClient>[0]> = {}) {
  return new NyckelClient({
    baseUrl: emulator.url,
    clientId: "modelpin-emulator",
    clientSecret: "modelpin-emulator-secret",
    timeoutMs: 800,
    maxRetries: 3,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 200,
    rateLimit: { perSecond: 25, concurrency: 25 },
    ...overrides,
  });
}

/**
 * 200 texts no other run has seen (a random tag in each): these tests count what
 * Nyckel receives, and the answer cache would otherwise answer some from earlier runs.
 */
async function newSampleSet(): Promise<string> {
  const tag = randomBytes(4).toString("hex");
  const lines = Array.from({ length: 200 }, (_, i) => `ticket ${tag} ${i}: my ${["invoice", "password", "order", "screen", "refund"][i % 5]} is wrong`).join("\n");
  const set = await createSampleSet(sys, { functionId: fn.id, name: `runner-${tag}`, result: parseTextLines(lines, { inputKind: "text" }) });
  return set.id;
}

async function newRun(modelA: string | null, modelB: string | null, setId = sampleSetId) {
  return prisma.comparisonRun.create({
    data: { functionId: fn.id, sampleSetId: setId, modelA, modelALabel: modelA ?? "latest", modelB, modelBLabel: modelB ?? "latest", status: "queued", total: 200, createdByLabel: "test" },
  });
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, quiet: true });
  await prisma.nyckelFunction.upsert({
    where: { id: fn.id },
    create: { id: fn.id, name: fn.name, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() },
    update: {},
  });
  sampleSetId = await newSampleSet();
});

afterAll(async () => {
  await emulator.close();
  await disconnectPrisma();
});

describe("comparison runs against the emulator (real PostgreSQL)", () => {
  it("records every sample as ok or failed with a reason under 20% injected 429/500/503 and hanging requests", async () => {
    const [a, b] = [fn.modelIds[0]!, fn.modelIds[1]!];
    const run = await newRun(a, b);
    emulator.state.resetCounters();
    emulator.state.setFaults({ pathIncludes: "/invoke", share429: 0.07, share500: 0.07, share503: 0.06, shareHang: 0.02 });
    try {
      // One retry: most faults are retried away, and some sides still fail after it (≈ 0.22² of them).
      await expect(executeRun(run.id, { client: client({ maxRetries: 1 }) })).resolves.toBe("finished");
    } finally {
      emulator.state.clearFaults();
    }
    const counters = emulator.state.counters();
    // The faults really happened, of every kind.
    for (const kind of ["status429", "status500", "status503", "hang"] as const) expect(counters.injected[kind]).toBeGreaterThan(0);

    const results = await prisma.comparisonResult.findMany({ where: { runId: run.id } });
    // Every sample ends recorded on both sides, once.
    expect(results).toHaveLength(400);
    const bySample = new Map<string, number>();
    for (const r of results) bySample.set(r.sampleId, (bySample.get(r.sampleId) ?? 0) + 1);
    expect(bySample.size).toBe(200);
    expect([...bySample.values()].every((n) => n === 2)).toBe(true);
    // Each either answered (label, confidence, latency) or failed with the reason.
    const ok = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    expect(ok.length).toBeGreaterThan(300);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of ok) expect(r.labelName && r.confidence !== null && r.latencyMs !== null && r.error === null).toBeTruthy();
    for (const r of failed) {
      expect(r.error).toMatch(/^(Nyckel rate limit exceeded \(429|Nyckel server error \((500|503)|Nyckel did not answer within 800 ms)/);
      expect(r.labelName).toBeNull();
      expect(r.attempts).toBe(2);
    }
    // Retries helped: some answers took a second attempt.
    expect(ok.some((r) => r.attempts === 2)).toBe(true);
    // The counts add up: every HTTP invoke the emulator received is one attempt of one recorded result.
    const invokePath = `/v1/functions/${stripPrefix(fn.id)}/invoke`;
    expect(results.reduce((n, r) => n + r.attempts, 0)).toBe(counters.byPath[invokePath]);
    // Each model was asked with its own modelId.
    const invokes = counters.invokesByFunction[fn.id];
    expect(invokes?.byModelIdReceived[a]).toBeGreaterThan(150);
    expect(invokes?.byModelIdReceived[b]).toBeGreaterThan(150);

    expect((await prisma.comparisonRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("finished");
    // Progress says the same: all complete, the failed ones are the samples with a failed side.
    const failedSamples = new Set(failed.map((r) => r.sampleId));
    expect(await getRunProgress(run.id)).toMatchObject({ total: 200, complete: 200, failed: failedSamples.size, status: "finished" });
    // The summary is an audit event, with the figures the report shows.
    const finished = await prisma.auditEvent.findFirst({ where: { action: "comparison.finished", targetId: run.id } });
    const both = new Set(ok.map((r) => r.sampleId).filter((id) => !failedSamples.has(id)));
    expect(both.size + failedSamples.size).toBe(200);
    expect(finished?.after).toMatchObject({ samples: 200, bothAnswered: both.size, errors: { a: failed.filter((r) => r.side === "a").length, b: failed.filter((r) => r.side === "b").length } });
  }, 120_000);

  it("resumes: samples already recorded are not invoked again", async () => {
    // Its own set: the first test's answers of modelIds[1] would come from the answer cache.
    const setId = await newSampleSet();
    const run = await newRun(fn.modelIds[1]!, null, setId);
    const samples = await prisma.sample.findMany({ where: { sampleSetId: setId }, orderBy: { position: "asc" }, take: 50, select: { id: true } });
    await prisma.comparisonResult.createMany({
      data: samples.flatMap((s) => (["a", "b"] as const).map((side) => ({ runId: run.id, sampleId: s.id, side, ok: true, labelName: "x", confidence: 1, latencyMs: 1, attempts: 1 }))),
    });
    // And one half-recorded sample: only its missing side is invoked.
    const half = await prisma.sample.findFirstOrThrow({ where: { sampleSetId: setId, position: 51 }, select: { id: true } });
    await prisma.comparisonResult.create({ data: { runId: run.id, sampleId: half.id, side: "a", ok: true, labelName: "x", confidence: 1, latencyMs: 1, attempts: 1 } });
    emulator.state.resetCounters();
    await executeRun(run.id, { client: client() });
    expect(await prisma.comparisonResult.count({ where: { runId: run.id } })).toBe(400);
    // Only the 299 missing sides were sent: one request each, plus the client's retries of a slow
    // answer (under load), which the results count in their attempts.
    const fresh = await prisma.comparisonResult.findMany({
      where: { runId: run.id, OR: [{ labelName: null }, { labelName: { not: "x" } }] },
      select: { attempts: true },
    });
    expect(fresh).toHaveLength(150 * 2 - 1);
    expect(emulator.state.counters().invokes).toBe(fresh.reduce((sum, r) => sum + r.attempts, 0));
  }, 60_000);

  it("stops when cancelled", async () => {
    const run = await newRun(null, fn.modelIds[0]!, await newSampleSet());
    emulator.state.setFaults({ pathIncludes: "/invoke", latencyMs: 50 });
    const running = executeRun(run.id, { client: client(), batchSize: 20, concurrency: 4 });
    await new Promise((r) => setTimeout(r, 300));
    await prisma.comparisonRun.update({ where: { id: run.id }, data: { status: "cancelling" } });
    await expect(running).resolves.toBe("cancelled");
    emulator.state.clearFaults();
    const count = await prisma.comparisonResult.count({ where: { runId: run.id } });
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(400);
    expect((await prisma.comparisonRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("cancelled");
  }, 60_000);
});
