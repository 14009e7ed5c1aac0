import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { stripPrefix } from "@/lib/nyckel/ids";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { systemContext } from "@/lib/context";
import { syncFunctions } from "@/lib/functions/service";
import { listModelsForFunction, listUnregisteredIds } from "./queries";
import { checkModel, registerModel, restoreModel, retireModel, updateModel } from "./service";

const tag = () => randomBytes(4).toString("hex");
const editor: ServiceContext = { actor: { id: null, role: "editor", label: "editor@test" }, requestId: "test" };
const viewer: ServiceContext = { actor: { id: null, role: "viewer", label: "viewer@test" }, requestId: "test" };

const emulator = emulatorAsNyckelForFile();

async function newFunction(id = `function_test${tag()}${tag()}`, inputType = "Text") {
  await prisma.nyckelFunction.create({ data: { id, name: `Models ${id.slice(-6)}`, inputType, outputType: "Classification", labelCount: 3, lastSyncedAt: new Date() } });
  return id;
}

describe("models service (real PostgreSQL)", () => {
  it("registers a model id with nickname and notes, trimmed, with an audit event", async () => {
    const fn = await newFunction();
    const model = await registerModel(editor, { functionId: fn, modelId: "  model_abc-DEF_123\n", nickname: " March retrain ", notes: "from the console" });
    expect(model).toMatchObject({ modelId: "model_abc-DEF_123", nickname: "March retrain", notes: "from the console", retiredAt: null });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { targetId: model.id } });
    expect(event).toMatchObject({ action: "model.registered", functionId: fn, after: { modelId: "model_abc-DEF_123", nickname: "March retrain" } });
  });

  it("refuses model ids of the wrong shape, duplicates, unknown functions and viewers, changing nothing", async () => {
    const fn = await newFunction();
    const events = await prisma.auditEvent.count();
    const attempt = (modelId: string, functionId = fn) => registerModel(editor, { functionId, modelId, nickname: "N", notes: "" }).catch((e: unknown) => e);
    expect(await attempt("")).toMatchObject({ fieldErrors: { modelId: [expect.stringContaining("Enter the model id")] } });
    expect(await attempt("model abc")).toMatchObject({ message: "Model ids contain no spaces." });
    expect(await attempt("model/abc")).toMatchObject({ message: expect.stringContaining("only letters, digits, _ and -") });
    expect(await attempt("m".repeat(101))).toMatchObject({ message: "Model ids are at most 100 characters." });
    expect(await attempt("model_ok", "function_missing")).toBeInstanceOf(NotFoundError);
    expect(await registerModel(viewer, { functionId: fn, modelId: "model_ok", nickname: "N", notes: "" }).catch((e: unknown) => e)).toBeInstanceOf(ForbiddenError);
    expect(await registerModel(editor, { functionId: fn, modelId: "model_ok", nickname: "  ", notes: "" }).catch((e: unknown) => e)).toBeInstanceOf(InvalidInputError);
    expect(await prisma.auditEvent.count()).toBe(events);

    await registerModel(editor, { functionId: fn, modelId: "model_dup", nickname: "First", notes: "" });
    const dup = await registerModel(editor, { functionId: fn, modelId: "model_dup", nickname: "Second", notes: "" }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect((dup as Error).message).toBe("The model id model_dup is already registered for this function as “First”. Edit it instead.");
    // The same id under another function is another model.
    await expect(registerModel(editor, { functionId: await newFunction(), modelId: "model_dup", nickname: "Elsewhere", notes: "" })).resolves.toBeTruthy();
    expect(await prisma.model.count({ where: { functionId: fn } })).toBe(1);
  });

  it("edits nickname and notes, retires, and lists where each model is pinned", async () => {
    const fn = await newFunction();
    const m = await registerModel(editor, { functionId: fn, modelId: `model_${tag()}`, nickname: "Old", notes: "" });
    await updateModel(editor, { id: m.id, nickname: "New", notes: "better on short texts" });
    const updated = await prisma.auditEvent.findFirstOrThrow({ where: { targetId: m.id, action: "model.updated" } });
    expect(updated).toMatchObject({ before: { nickname: "Old", notes: "" }, after: { nickname: "New", notes: "better on short texts" } });
    await retireModel(editor, { id: m.id });
    expect(await retireModel(editor, { id: m.id }).catch((e: unknown) => e)).toMatchObject({ message: expect.stringContaining("already retired") });
    const [row] = await listModelsForFunction(fn);
    expect(row).toMatchObject({ nickname: "New", pinnedIn: [] });
    expect(row?.retiredAt).toBeInstanceOf(Date);
    await restoreModel(editor, { id: m.id });
    expect((await listModelsForFunction(fn))[0]?.retiredAt).toBeNull();
    expect(await prisma.auditEvent.findFirstOrThrow({ where: { targetId: m.id, action: "model.restored" } })).toMatchObject({ after: { retiredAt: null } });
    expect(await restoreModel(editor, { id: m.id }).catch((e: unknown) => e)).toMatchObject({ message: expect.stringContaining("is not retired") });
    expect(await updateModel(editor, { id: "00000000-0000-4000-8000-000000000000", nickname: "x", notes: "" }).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it("checks a model against Nyckel (capture=false) and shows Nyckel's error for an unknown model id", async () => {
    // The bare function id (Nyckel accepts it) keeps this row apart from the prefixed rows a sync creates.
    const seeded = seededFunction("support-triage");
    const fn = (await prisma.nyckelFunction.findUnique({ where: { id: stripPrefix(seeded.id) } }))?.id ?? (await newFunction(stripPrefix(seeded.id)));
    const good = await registerModel(editor, { functionId: fn, modelId: seeded.modelIds[0]!, nickname: `Oldest ${tag()}`, notes: "" }).catch(async () =>
      prisma.model.findFirstOrThrow({ where: { functionId: fn, modelId: seeded.modelIds[0]! } }),
    );
    const ok = await checkModel(editor, { id: good.id, sample: { kind: "text", text: "I was charged twice this month" } });
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(seeded.labels.map((l) => l.name)).toContain(ok.output.labelName);
      expect(ok.output.confidence).toBeGreaterThan(0);
    }
    const invoke = emulator().state.recentInvokes().at(-1);
    expect(invoke).toMatchObject({ modelIdParam: seeded.modelIds[0], query: expect.objectContaining({ capture: "false" }) });

    // An unknown id gets saved only when Nyckel could not be asked (here: 500s), as not verified.
    emulator().state.setFaults({ pathIncludes: "/invoke", next: [500, 500, 500, 500, 500] });
    const bad = await registerModel(editor, { functionId: fn, modelId: `model_unknown${tag()}`, nickname: "Typo", notes: "" }).finally(() => emulator().state.clearFaults());
    expect(bad).toMatchObject({ verifiedAt: null, verificationNote: expect.stringContaining("server error (500)") });
    const failed = await checkModel(editor, { id: bad.id, sample: { kind: "text", text: "hello" } });
    expect(failed).toMatchObject({ ok: false, message: expect.stringContaining("Nyckel refused the request (400)") });
    expect(!failed.ok && failed.message).toContain("not found");
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { targetId: bad.id, action: "model.checked" } });
    expect(event.after).toMatchObject({ sample: { kind: "text", characters: 5 }, result: { error: expect.stringContaining("400") } });

    // A sample of the wrong kind is refused before calling Nyckel.
    const calls = emulator().state.recentInvokes().length;
    expect(await checkModel(editor, { id: good.id, sample: { kind: "tabular", json: "{}" } }).catch((e: unknown) => e)).toMatchObject({
      message: "This function takes Text input; give a text sample.",
    });
    expect(emulator().state.recentInvokes().length).toBe(calls);
  });

  describe("model ids checked with Nyckel before saving", () => {
    const triage = seededFunction("support-triage");
    /** The seeded function under its bare id (Nyckel accepts it), apart from the prefixed rows a sync creates. */
    const bareFunction = async (key: "support-triage" | "pets" | "churn-risk") => {
      const seeded = seededFunction(key);
      const id = stripPrefix(seeded.id);
      return (await prisma.nyckelFunction.findUnique({ where: { id } }))?.id ?? newFunction(id, seeded.input);
    };
    /** An id Nyckel knows for the function that is not its latest (so nothing else moves). */
    const olderId = (functionId: string) => emulator().state.addModel(functionId, { latest: false }).id;
    const invokes = () => emulator().state.recentInvokes();

    it("refuses an id Nyckel does not know, with a field error, saving nothing and auditing nothing", async () => {
      const fn = await bareFunction("support-triage");
      const [events, models] = [await prisma.auditEvent.count(), await prisma.model.count()];
      const typo = `model_typo${tag()}`;
      const refused = await registerModel(editor, { functionId: fn, modelId: typo, nickname: "Typo", notes: "" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidInputError);
      expect(refused).toMatchObject({ fieldErrors: { modelId: [`Nyckel does not know model ${typo} for this function.`] } });
      expect([await prisma.auditEvent.count(), await prisma.model.count()]).toEqual([events, models]);
      // One invoke, pinned to the typed id, captured nowhere.
      expect(invokes().filter((i) => i.modelIdParam === typo)).toEqual([expect.objectContaining({ query: expect.objectContaining({ capture: "false" }), status: 400 })]);
    });

    it("saves a known id as verified, for text, image and tabular functions", async () => {
      for (const key of ["support-triage", "pets", "churn-risk"] as const) {
        const fn = await bareFunction(key);
        const modelId = olderId(fn);
        const model = await registerModel(editor, { functionId: fn, modelId, nickname: `Older ${key}`, notes: "" });
        expect(model, key).toMatchObject({ modelId, verificationNote: null, verifiedAt: expect.any(Date) });
        expect(invokes().filter((i) => i.modelIdParam === modelId)).toEqual([expect.objectContaining({ status: 200, query: expect.objectContaining({ capture: "false" }) })]);
        const event = await prisma.auditEvent.findFirstOrThrow({ where: { targetId: model.id, action: "model.registered" } });
        expect(event.after).toMatchObject({ modelId, verified: true });
      }
    });

    it("saves the id as not verified, saying why, when Nyckel fails (5xx after retries) or does not answer in time", async () => {
      const fn = await bareFunction("support-triage");
      emulator().state.setFaults({ pathIncludes: "/invoke", next: [503, 503, 503, 503, 503] });
      const failing = await registerModel(editor, { functionId: fn, modelId: olderId(fn), nickname: "During an outage", notes: "" }).finally(() => emulator().state.clearFaults());
      expect(failing).toMatchObject({ verifiedAt: null, verificationNote: expect.stringContaining("server error (503) after retries") });
      expect((await prisma.auditEvent.findFirstOrThrow({ where: { targetId: failing.id } })).after).toMatchObject({ verified: false, verificationNote: failing.verificationNote });
      // Once Nyckel answers a Check of it, the model is verified.
      expect(await checkModel(editor, { id: failing.id, sample: { kind: "text", text: "my invoice is wrong" } })).toMatchObject({ ok: true });
      expect(await prisma.model.findUniqueOrThrow({ where: { id: failing.id } })).toMatchObject({ verifiedAt: expect.any(Date), verificationNote: null });
      expect((await prisma.auditEvent.findFirstOrThrow({ where: { targetId: failing.id, action: "model.checked" } })).after).toMatchObject({ verified: true });

      emulator().state.setFaults({ pathIncludes: "/invoke", next: ["hang"] });
      const started = Date.now();
      const slow = await registerModel(editor, { functionId: fn, modelId: olderId(fn), nickname: "Slow Nyckel", notes: "" }).finally(() => emulator().state.clearFaults());
      expect(slow).toMatchObject({ verifiedAt: null, verificationNote: "Nyckel did not answer within 8 s." });
      expect(Date.now() - started).toBeLessThan(15_000);
      const [row] = (await listModelsForFunction(fn)).filter((m) => m.id === slow.id);
      expect(row).toMatchObject({ verifiedAt: null, verificationNote: "Nyckel did not answer within 8 s." });

      // An input type Modelpin cannot build a check input for: saved, not verified, Nyckel not asked.
      const calls = invokes().length;
      const audio = await registerModel(editor, { functionId: await newFunction(undefined, "Audio"), modelId: `model_${tag()}`, nickname: "Audio", notes: "" });
      expect(audio).toMatchObject({ verifiedAt: null, verificationNote: "Modelpin cannot build a check input for Audio functions." });
      expect(invokes().length).toBe(calls);
    });

    it("lists the ids a sync discovered with when first seen, and registering one names that row", async () => {
      const res = await fetch(`${emulator().url}/_emulator/functions/${triage.id}/models`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      const { id: modelId } = (await res.json()) as { id: string };
      const syncedAt = new Date();
      await syncFunctions(systemContext("test"));
      const seen = await listUnregisteredIds(triage.id);
      expect(seen[0]).toEqual({ modelId, firstSeenAt: expect.any(Date) });
      expect(Math.abs(seen[0]!.firstSeenAt.getTime() - syncedAt.getTime())).toBeLessThan(10_000);
      const discovered = await prisma.model.findFirstOrThrow({ where: { functionId: triage.id, modelId } });
      expect(discovered.verifiedAt).not.toBeNull();

      const calls = invokes().length;
      const named = await registerModel(editor, { functionId: triage.id, modelId, nickname: "Nyckel's retrain", notes: "seen by sync" });
      expect(named).toMatchObject({ id: discovered.id, nickname: "Nyckel's retrain", notes: "seen by sync", discovered: true });
      expect(invokes().length).toBe(calls); // Nyckel reported it: no check needed
      const event = await prisma.auditEvent.findFirstOrThrow({ where: { targetId: discovered.id, action: "model.registered" } });
      expect(event).toMatchObject({ before: { modelId, nickname: "", discovered: true }, after: { modelId, nickname: "Nyckel's retrain", verified: true } });
      expect((await listUnregisteredIds(triage.id)).map((m) => m.modelId)).not.toContain(modelId);
      expect(await registerModel(editor, { functionId: triage.id, modelId, nickname: "Again", notes: "" }).catch((e: unknown) => e)).toMatchObject({
        message: `The model id ${modelId} is already registered for this function as “Nyckel's retrain”. Edit it instead.`,
      });
    });

    it("two people registering the same discovered id at once: one registers it, the other is told it is registered", async () => {
      const res = await fetch(`${emulator().url}/_emulator/functions/${triage.id}/models`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      const { id: modelId } = (await res.json()) as { id: string };
      await syncFunctions(systemContext("test"));
      const outcomes = await Promise.allSettled(["First", "Second"].map((nickname) => registerModel(editor, { functionId: triage.id, modelId, nickname, notes: "" })));
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      expect(outcomes.find((o) => o.status === "rejected")).toMatchObject({ reason: expect.any(ConflictError) });
      expect(await prisma.model.count({ where: { functionId: triage.id, modelId } })).toBe(1);
      const row = await prisma.model.findFirstOrThrow({ where: { functionId: triage.id, modelId } });
      expect(await prisma.auditEvent.count({ where: { targetId: row.id, action: "model.registered" } })).toBe(1);
    });
  });
});
