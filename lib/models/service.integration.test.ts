import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { stripPrefix } from "@/lib/nyckel/ids";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { listModelsForFunction } from "./queries";
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

    const bad = await registerModel(editor, { functionId: fn, modelId: `model_unknown${tag()}`, nickname: "Typo", notes: "" });
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
});
