import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { systemContext, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { seededFunction } from "@/scripts/emulator/seed";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "@/scripts/emulator/state";
import { tinyPng } from "@/scripts/testing/nyckel";
import { saveNyckelSettings } from "@/lib/nyckel-settings/service";
import { setPin } from "@/lib/pins/service";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { listComparisonRuns, listRunFilterOptions, listRunSampleRows, runAgreements } from "./queries";
import { quickCompare } from "./quick";
import { QUICK_LABEL_COUNT } from "./schemas";

const tag = () => randomBytes(4).toString("hex");
const editor: ServiceContext = { actor: { id: null, role: "editor", label: "editor@test" }, requestId: "test" };
const viewer: ServiceContext = { actor: { id: null, role: "viewer", label: "viewer@test" }, requestId: "test" };
const triage = seededFunction("support-triage");
const pets = seededFunction("pets");

const emulator = emulatorAsNyckelForFile();
afterAll(closePgPool);

async function ensureFunction(fn: typeof triage) {
  await prisma.nyckelFunction.upsert({
    where: { id: fn.id },
    create: { id: fn.id, name: fn.name, inputType: fn.input, outputType: "Classification", labelCount: fn.labels.length, lastSyncedAt: new Date() },
    update: {},
  });
}

async function model(functionId: string, modelId: string, nickname = `M ${tag()}`) {
  return prisma.model.create({ data: { functionId, modelId, nickname: `${nickname}` } }).catch(async () =>
    prisma.model.findFirstOrThrow({ where: { functionId, modelId } }),
  );
}

describe("quick compare (real PostgreSQL, emulator as Nyckel)", () => {
  it("invokes both models with capture=false and the top labels, says whether they agree, and records an audit event", async () => {
    await ensureFunction(triage);
    const oldest = await model(triage.id, triage.modelIds[0]!);
    const lastSeq = () => emulator().state.recentInvokes().at(-1)?.seq ?? 0;
    const seqBefore = lastSeq();
    // Enough texts that the oldest and the latest model disagree on at least one (they differ on ~30%).
    const texts = Array.from({ length: 12 }, (_, i) => `ticket ${i}: I was charged twice on my invoice ${i * 7919}`);
    const results = [];
    for (const text of texts) {
      results.push(await quickCompare(editor, { functionId: triage.id, modelA: { kind: "model", modelRefId: oldest.id }, modelB: { kind: "latest" }, sample: { kind: "text", text } }));
    }
    for (const r of results) {
      expect(r.a.ok && r.b.ok).toBe(true);
      if (!r.a.ok || !r.b.ok) continue;
      expect(r.agree).toBe(r.a.label === r.b.label);
      expect(r.a.modelId).toBe(triage.modelIds[0]);
      expect(r.b.modelId).toBeNull();
      expect(r.a.model).toContain(triage.modelIds[0]!);
      expect(r.b.model).toBe("latest");
      expect(r.a.labelConfidences.length).toBeGreaterThan(1);
      expect(r.a.labelConfidences.length).toBeLessThanOrEqual(QUICK_LABEL_COUNT);
      expect(r.a.labelConfidences[0]).toEqual({ label: r.a.label, confidence: r.a.confidence });
      const confs = r.a.labelConfidences.map((c) => c.confidence);
      expect(confs).toEqual([...confs].sort((x, y) => y - x));
      expect(r.a.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(results.some((r) => r.agree === false)).toBe(true);
    expect(results.some((r) => r.agree === true)).toBe(true);
    const invokes = emulator().state.recentInvokes().filter((e) => e.seq > seqBefore);
    expect(invokes).toHaveLength(24);
    for (const inv of invokes) expect(inv.query).toMatchObject({ capture: "false", labelCount: String(QUICK_LABEL_COUNT) });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "comparison.quick", functionId: triage.id }, orderBy: { id: "desc" } });
    expect(event.after).toMatchObject({ modelB: "latest", sample: { kind: "text" }, agree: results.at(-1)!.agree });
    expect(JSON.stringify(event.after)).not.toContain(texts.at(-1)); // a summary, never the sample
  });

  it("resolves “pinned in <environment>” to the pin's model id at invoke time", async () => {
    await ensureFunction(triage);
    const second = await model(triage.id, triage.modelIds[1]!);
    const env = await prisma.environment.create({ data: { slug: `quick-${tag()}`, name: `Quick ${tag()}`, sortOrder: 900 } });
    const ask = () => quickCompare(editor, { functionId: triage.id, modelA: { kind: "pinned", environmentId: env.id }, modelB: { kind: "latest" }, sample: { kind: "text", text: "my password does not work" } });
    const unpinned = await ask();
    expect(unpinned.a).toMatchObject({ ok: true, modelId: null, model: `pinned in ${env.name}: latest` });
    await setPin(systemContext("test"), { environmentId: env.id, functionId: triage.id, modelRefId: second.id, expectedVersion: 0, reason: "quick compare test", kind: "pin" });
    const pinned = await ask();
    expect(pinned.a).toMatchObject({ ok: true, modelId: triage.modelIds[1] });
    expect(pinned.a.model).toContain(`pinned in ${env.name}`);
  });

  it("a model id Nyckel rejects fails on its side only, with Nyckel's message", async () => {
    await ensureFunction(triage);
    const bogus = await model(triage.id, `model_nosuch${tag()}`);
    const r = await quickCompare(editor, { functionId: triage.id, modelA: { kind: "model", modelRefId: bogus.id }, modelB: { kind: "latest" }, sample: { kind: "text", text: "refund please" } });
    expect(r.a.ok).toBe(false);
    expect(r.a.ok ? "" : r.a.message).toMatch(/Nyckel (refused the request|answered "not found")/);
    expect(r.b.ok).toBe(true);
    expect(r.agree).toBeNull();
  });

  it("429 after the client's retries: a clear message on each side, not an exception", async () => {
    await ensureFunction(triage);
    emulator().state.setFaults({ pathIncludes: "/invoke", share429: 1, retryAfterSeconds: 0 });
    try {
      const r = await quickCompare(editor, { functionId: triage.id, modelA: { kind: "latest" }, modelB: { kind: "latest" }, sample: { kind: "text", text: "slow app" } });
      for (const side of [r.a, r.b]) expect(side).toMatchObject({ ok: false, message: expect.stringContaining('kept answering "too many requests" (429) after retries') });
    } finally {
      emulator().state.clearFaults();
    }
  }, 60_000);

  it("compares images by content: a real PNG is answered; HTML named .jpg and text for an image function are refused before any invoke", async () => {
    await ensureFunction(pets);
    const png = tinyPng(4, 4, [200, 30, 30]);
    const r = await quickCompare(editor, { functionId: pets.id, modelA: { kind: "latest" }, modelB: { kind: "latest" }, sample: { kind: "image", bytes: png, fileName: "red.png" } });
    expect(r).toMatchObject({ a: { ok: true }, b: { ok: true }, agree: true });
    const before = emulator().state.recentInvokes().at(-1)?.seq;
    const html = new TextEncoder().encode("<!doctype html><html><body>hi</body></html>");
    const refused = await quickCompare(editor, { functionId: pets.id, modelA: { kind: "latest" }, modelB: { kind: "latest" }, sample: { kind: "image", bytes: html, fileName: "cat.jpg" } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toBe('"cat.jpg" is an HTML page, not an image. Only JPEG, PNG, WebP and GIF images are accepted, recognised by their content, not their file name.');
    const wrongKind = await quickCompare(editor, { functionId: pets.id, modelA: { kind: "latest" }, modelB: { kind: "latest" }, sample: { kind: "text", text: "a cat" } }).catch((e: unknown) => e);
    expect((wrongKind as Error).message).toBe("This function takes Image input; give a image sample.");
    const imageForText = await quickCompare(editor, { functionId: triage.id, modelA: { kind: "latest" }, modelB: { kind: "latest" }, sample: { kind: "image", bytes: png } }).catch((e: unknown) => e);
    expect(imageForText).toBeInstanceOf(InvalidInputError);
    expect(emulator().state.recentInvokes().at(-1)?.seq).toBe(before);
  });

  it("refuses viewers, unknown functions, unknown or retired models, and an unconfigured Nyckel", async () => {
    await ensureFunction(triage);
    const input = { functionId: triage.id, modelA: { kind: "latest" as const }, modelB: { kind: "latest" as const }, sample: { kind: "text" as const, text: "hello" } };
    expect(await quickCompare(viewer, input).catch((e: unknown) => e)).toBeInstanceOf(ForbiddenError);
    expect(await quickCompare(editor, { ...input, functionId: "function_missing" }).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
    const unknown = await quickCompare(editor, { ...input, modelA: { kind: "model", modelRefId: "00000000-0000-4000-8000-000000000000" } }).catch((e: unknown) => e);
    expect((unknown as Error).message).toBe("That model is not registered for this function.");
    const retired = await prisma.model.create({ data: { functionId: triage.id, modelId: `model_old${tag()}`, nickname: "Retired one", retiredAt: new Date() } });
    const r = await quickCompare(editor, { ...input, modelB: { kind: "model", modelRefId: retired.id } }).catch((e: unknown) => e);
    expect((r as Error).message).toBe("Retired one is retired; choose another model.");
    expect(await quickCompare(editor, { ...input, sample: { kind: "text", text: "   " } }).catch((e: unknown) => e)).toMatchObject({ message: "Enter a text sample." });

    await prisma.nyckelSettings.deleteMany({});
    try {
      const e = await quickCompare(editor, input).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as Error).message).toBe("Nyckel is not configured yet. An admin sets the credentials in Settings → Nyckel.");
    } finally {
      await saveNyckelSettings(systemContext("test"), { baseUrl: emulator().url, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
    }
  });
});

describe("comparison queries (real PostgreSQL)", () => {
  it("lists runs with filters and agreement, and every sample of a run with both outcomes", async () => {
    await ensureFunction(triage);
    const mark = tag();
    const set = await prisma.sampleSet.create({
      data: { functionId: triage.id, name: `Set ${mark}`, sampleCount: 4, labeledCount: 2, duplicateCount: 0, rejectedCount: 0, totalBytes: 10, kinds: ["text"], createdByLabel: "q@test" },
    });
    const samples = await Promise.all(
      ["one", "two", "x".repeat(1500), "four"].map((text, i) =>
        prisma.sample.create({ data: { sampleSetId: set.id, position: i + 1, kind: "text", text, label: i < 2 ? "Billing" : null, contentHash: `${mark}-${i}`, sourceRow: i + 1 } }),
      ),
    );
    const run = await prisma.comparisonRun.create({
      data: { functionId: triage.id, sampleSetId: set.id, modelA: `model_a${mark}`, modelALabel: `A ${mark}`, modelB: null, modelBLabel: "latest", status: "finished", total: 4, createdByLabel: `starter-${mark}@test` },
    });
    const other = await prisma.comparisonRun.create({
      data: { functionId: triage.id, sampleSetId: set.id, modelA: null, modelALabel: "latest", modelB: null, modelBLabel: "latest", status: "running", total: 4, createdByLabel: `other-${mark}@test` },
    });
    const res = (sample: number, side: "a" | "b", label: string | null, confidence = 0.8) => ({
      runId: run.id,
      sampleId: samples[sample]!.id,
      side,
      ok: label !== null,
      labelName: label,
      confidence: label ? confidence : null,
      latencyMs: label ? 100 + sample : null,
      attempts: 1,
      error: label ? null : "Nyckel kept answering 429",
    });
    // 1: agree; 2: disagree; 3: A failed; 4: not recorded.
    await prisma.comparisonResult.createMany({
      data: [res(0, "a", "Billing", 0.9), res(0, "b", "Billing", 0.95), res(1, "a", "Billing", 0.7), res(1, "b", "Refund request", 0.6), res(2, "a", null), res(2, "b", "Technical issue")],
    });

    const agreements = await runAgreements([run.id, other.id]);
    expect(agreements.get(run.id)).toMatchObject({ agree: 1, n: 2, rate: 0.5 });
    expect(agreements.has(other.id)).toBe(false);

    const byModel = await listComparisonRuns({ q: `model_A${mark}` });
    expect(byModel.runs.map((r) => r.id)).toEqual([run.id]);
    expect(byModel.runs[0]!.agreement).toMatchObject({ rate: 0.5, n: 2 });
    expect((await listComparisonRuns({ q: `Set ${mark}` })).runs.map((r) => r.id)).toEqual([other.id, run.id]);
    expect((await listComparisonRuns({ by: `other-${mark}@test` })).runs.map((r) => r.id)).toEqual([other.id]);
    expect((await listComparisonRuns({ q: `Set ${mark}`, status: "finished" })).runs.map((r) => r.id)).toEqual([run.id]);
    expect((await listComparisonRuns({ q: `Set ${mark}`, function: "function_other" })).runs).toEqual([]);
    // Keyset pages: one run per page, newest first, then the next one.
    const page1 = await listComparisonRuns({ q: `Set ${mark}`, take: 1 });
    expect(page1.runs.map((r) => r.id)).toEqual([other.id]);
    const page2 = await listComparisonRuns({ q: `Set ${mark}`, take: 1, before: page1.next! });
    expect(page2.runs.map((r) => r.id)).toEqual([run.id]);
    expect(page2.next).toBeNull();
    const options = await listRunFilterOptions();
    expect(options.functions.map((f) => f.id)).toContain(triage.id);
    expect(options.starters).toEqual(expect.arrayContaining([`starter-${mark}@test`, `other-${mark}@test`]));

    const rows = await listRunSampleRows(run.id);
    expect(rows.map((r) => r.position)).toEqual([1, 2, 3, 4]);
    expect(rows[0]).toMatchObject({ kind: "text", input: "one", truth: "Billing", a: { ok: true, label: "Billing", confidence: 0.9, latencyMs: 100 }, b: { ok: true, label: "Billing" } });
    expect(rows[1]!.b).toMatchObject({ ok: true, label: "Refund request", confidence: 0.6 });
    expect(rows[2]).toMatchObject({ input: "x".repeat(1000), inputTruncated: true, truth: null, a: { ok: false, error: "Nyckel kept answering 429" }, b: { ok: true, label: "Technical issue" } });
    expect(rows[3]).toMatchObject({ a: null, b: null });
    expect(await listRunSampleRows("not-a-uuid")).toEqual([]);
  });
});
