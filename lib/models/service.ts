import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, InvalidInputError, NotFoundError, isUniqueViolation } from "@/lib/errors";
import type { InvokeInput, InvokeOutput } from "@/lib/nyckel/client";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { explainNyckelError } from "@/lib/nyckel-settings/errors";
import { parseInput } from "@/lib/validation";
import { modelLabel } from "./label";
import { verifyModelId } from "./verify";
import {
  CHECK_IMAGE_MAX_BYTES,
  checkModelSchema,
  registerModelSchema,
  restoreModelSchema,
  retireModelSchema,
  updateModelSchema,
  type CheckModelInput,
  type CheckSample,
  type RegisterModelInput,
  type UpdateModelInput,
} from "./schemas";

const modelFields = {
  id: true,
  functionId: true,
  modelId: true,
  nickname: true,
  notes: true,
  discovered: true,
  retiredAt: true,
  verifiedAt: true,
  verificationNote: true,
} as const;

type ModelRow = { id: string; functionId: string; modelId: string; nickname: string; notes: string; retiredAt: Date | null };

/** Where a model's audit events point: the model, under its function. */
const auditTarget = (m: Pick<ModelRow, "id" | "functionId">) => ({ functionId: m.functionId, targetType: "model" as const, targetId: m.id });

/** What register and edit record of a model: its id and the two fields people write. */
const editable = (m: ModelRow) => ({ modelId: m.modelId, nickname: m.nickname, notes: m.notes });

/** Retires (a time) or restores (null) a locked model, audited with the model named before and after. */
async function setRetiredAt(tx: Tx, ctx: ServiceContext, model: ModelRow, retiredAt: Date | null) {
  const after = await tx.model.update({ where: { id: model.id }, data: { retiredAt }, select: modelFields });
  await appendAuditEventBy(tx, ctx, {
    action: retiredAt ? "model.retired" : "model.restored",
    ...auditTarget(model),
    before: { modelId: model.modelId, nickname: model.nickname, retiredAt: model.retiredAt },
    after: { modelId: model.modelId, nickname: model.nickname, retiredAt: after.retiredAt },
  });
  return after;
}

function describeExisting(m: { nickname: string; discovered: boolean; retiredAt: Date | null }): string {
  if (m.nickname) return ` as “${m.nickname}”${m.retiredAt ? " (retired)" : ""}`;
  return m.discovered ? " (discovered by a sync)" : "";
}

type Existing = { id: string; nickname: string; notes: string; discovered: boolean; retiredAt: Date | null };

/** A row a sync created and nobody has named yet: registering its id names it instead of conflicting. */
const unclaimedDiscovery = (m: Existing | null): m is Existing => m !== null && m.discovered && !m.nickname && !m.retiredAt;

/**
 * Registers a Nyckel model id for one function. A model id is registered at most
 * once per function; an id a sync discovered (no nickname yet) becomes registered
 * with the nickname and notes given. A new id is first checked with Nyckel
 * (verifyModelId): Nyckel's clear refusal is a field error and nothing is saved;
 * a check that cannot tell saves the model as not verified, with why.
 */
export async function registerModel(ctx: ServiceContext, raw: RegisterModelInput) {
  authorize(ctx, "models:write");
  const input = parseInput(registerModelSchema, raw);
  const duplicate = (m: { nickname: string; discovered: boolean; retiredAt: Date | null }) =>
    new ConflictError(`The model id ${input.modelId} is already registered for this function${describeExisting(m)}. Edit it instead.`, {
      modelId: ["Already registered for this function."],
    });
  const key = { functionId_modelId: { functionId: input.functionId, modelId: input.modelId } };
  const existingSelect = { id: true, nickname: true, notes: true, discovered: true, retiredAt: true } as const;
  const fn = await prisma.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true, inputType: true } });
  if (!fn) throw new NotFoundError("That function does not exist. Sync your functions from Nyckel first.");
  const before = await prisma.model.findUnique({ where: key, select: existingSelect });
  if (before && !unclaimedDiscovery(before)) throw duplicate(before);
  // A discovered id came from Nyckel itself (verified when the sync saw it): no check needed.
  const check = before ? null : await verifyModelId(fn, input.modelId);
  if (check?.outcome === "refused") {
    const message = `Nyckel does not know model ${input.modelId} for this function.`;
    throw new InvalidInputError(message, { modelId: [message] });
  }
  const verification = !check ? {} : check.outcome === "verified" ? { verifiedAt: check.at, verificationNote: null } : { verifiedAt: null, verificationNote: check.note };
  const named = { nickname: input.nickname, notes: input.notes, registeredById: ctx.actor.id };
  try {
    return await prisma.$transaction(async (tx) => {
      // Locked, so two people registering the same discovered id at once get one registration and one conflict.
      const found = await tx.model.findUnique({ where: key, select: { id: true } });
      const existing = found ? (await lockModel(tx, found.id)).model : null;
      if (existing && !unclaimedDiscovery(existing)) throw duplicate(existing);
      const model = existing
        ? await tx.model.update({ where: { id: existing.id }, data: named, select: modelFields })
        : await tx.model.create({ data: { functionId: input.functionId, modelId: input.modelId, ...named, ...verification }, select: modelFields });
      await appendAuditEventBy(tx, ctx, {
        action: "model.registered",
        ...auditTarget(model),
        before: existing ? { modelId: model.modelId, nickname: existing.nickname, notes: existing.notes, discovered: true } : undefined,
        after: { ...editable(model), verified: model.verifiedAt !== null, ...(model.verificationNote ? { verificationNote: model.verificationNote } : {}) },
      });
      return model;
    });
  } catch (e) {
    // Registered at the same moment by someone else.
    if (isUniqueViolation(e)) throw duplicate({ nickname: "", discovered: false, retiredAt: null });
    throw e;
  }
}

/** Edits the nickname and notes of a registered model (the model id never changes). */
export async function updateModel(ctx: ServiceContext, raw: UpdateModelInput) {
  authorize(ctx, "models:write");
  const input = parseInput(updateModelSchema, raw);
  return prisma.$transaction(async (tx) => {
    const before = await tx.model.findUnique({ where: { id: input.id }, select: modelFields });
    if (!before) throw new NotFoundError("That model does not exist.");
    if (before.nickname === input.nickname && before.notes === input.notes) return before;
    const after = await tx.model.update({ where: { id: input.id }, data: { nickname: input.nickname, notes: input.notes }, select: modelFields });
    await appendAuditEventBy(tx, ctx, { action: "model.updated", ...auditTarget(after), before: editable(before), after: editable(after) });
    return after;
  });
}

/** Locks a model row FOR UPDATE (retire and restore serialize with each other and with pins) and names it for messages. */
async function lockModel(tx: Tx, id: string) {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM models WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError("That model does not exist.");
  const model = await tx.model.findUniqueOrThrow({ where: { id }, select: modelFields });
  return { model, label: modelLabel(model, { quote: true }) };
}

/**
 * Retires a model: it leaves the pickers and can no longer be pinned; its
 * history stays. A model pinned somewhere cannot be retired (move those pins
 * first). The model row is locked FOR UPDATE, and the pin service locks it
 * FOR SHARE, so a retire and a pin of the same model never both succeed.
 */
export async function retireModel(ctx: ServiceContext, raw: { id: string }) {
  authorize(ctx, "models:write");
  const input = parseInput(retireModelSchema, raw);
  return prisma.$transaction(async (tx) => {
    const { model, label } = await lockModel(tx, input.id);
    if (model.retiredAt) throw new ConflictError(`${label} is already retired.`);
    const pinnedIn = await tx.pin.findMany({
      where: { modelRefId: model.id },
      select: { environment: { select: { name: true, sortOrder: true } } },
      orderBy: { environment: { sortOrder: "asc" } },
    });
    if (pinnedIn.length) {
      throw new ConflictError(
        `${label} is pinned in ${pinnedIn.map((p) => p.environment.name).join(", ")}. Pin another model there first, then retire it.`,
      );
    }
    return setRetiredAt(tx, ctx, model, new Date());
  });
}

/**
 * Restores a retired model: it is back in the pickers and can be pinned again.
 * Locked like retire, so a restore and a retire of the same model serialize.
 */
export async function restoreModel(ctx: ServiceContext, raw: { id: string }) {
  authorize(ctx, "models:write");
  const input = parseInput(restoreModelSchema, raw);
  return prisma.$transaction(async (tx) => {
    const { model, label } = await lockModel(tx, input.id);
    if (!model.retiredAt) throw new ConflictError(`${label} is not retired.`);
    return setRetiredAt(tx, ctx, model, null);
  });
}

export type CheckResult =
  | { ok: true; modelId: string; output: { labelName: string | null; confidence: number; labelConfidences: Array<{ labelName: string | null; confidence: number }> }; latencyMs: number }
  | { ok: false; modelId: string; message: string };

export function toInvokeInput(inputType: string, sample: CheckSample): { input: InvokeInput; summary: Record<string, unknown> } {
  const expected = inputType.toLowerCase();
  const wrongKind = () =>
    new InvalidInputError(`This function takes ${inputType} input; give a ${inputType.toLowerCase()} sample.`, { sample: ["Wrong kind of sample."] });
  switch (sample.kind) {
    case "text":
      if (expected !== "text") throw wrongKind();
      return { input: { kind: "text", text: sample.text }, summary: { kind: "text", characters: sample.text.length } };
    case "image": {
      if (expected !== "image") throw wrongKind();
      const bytes = Buffer.from(sample.dataBase64, "base64");
      if (bytes.byteLength === 0) throw new InvalidInputError("The image is empty.", { sample: ["The image is empty."] });
      if (bytes.byteLength > CHECK_IMAGE_MAX_BYTES) throw new InvalidInputError("Images for a check are at most 600 KB.", { sample: ["Too large."] });
      return { input: { kind: "image", bytes: new Uint8Array(bytes), mimeType: sample.mimeType }, summary: { kind: "image", mimeType: sample.mimeType, bytes: bytes.byteLength } };
    }
    case "tabular": {
      if (expected !== "tabular") throw wrongKind();
      let parsed: unknown;
      try {
        parsed = JSON.parse(sample.json);
      } catch {
        throw new InvalidInputError("The fields are not valid JSON. Use an object, like {\"plan\": \"pro\", \"seats\": 3}.", { sample: ["Not valid JSON."] });
      }
      if (
        typeof parsed !== "object" ||
        parsed === null ||
        Array.isArray(parsed) ||
        !Object.values(parsed).every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)))
      ) {
        throw new InvalidInputError("Give the fields as one JSON object whose values are text or numbers.", { sample: ["Not a JSON object of text and numbers."] });
      }
      const fields = parsed as Record<string, string | number>;
      return { input: { kind: "tabular", fields }, summary: { kind: "tabular", fields: Object.keys(fields).sort() } };
    }
  }
}

/**
 * "Check": invokes Nyckel with this model id on a sample the user gives
 * (capture=false, so Nyckel keeps nothing) and returns the output or
 * Nyckel's error. Changes nothing in Modelpin but this: an answer verifies a
 * model saved as not verified (Nyckel knows the id). The check itself is
 * recorded in the audit log (an invocation of a model, like a comparison run),
 * with a summary of the sample, never the sample.
 */
export async function checkModel(ctx: ServiceContext, raw: CheckModelInput): Promise<CheckResult> {
  authorize(ctx, "models:write");
  const { id, sample } = parseInput(checkModelSchema, raw);
  const model = await prisma.model.findUnique({
    where: { id },
    select: { id: true, functionId: true, modelId: true, nickname: true, verifiedAt: true, function: { select: { inputType: true, labelCount: true } } },
  });
  if (!model) throw new NotFoundError("That model does not exist.");
  const { input, summary } = toInvokeInput(model.function.inputType, sample);
  const nyckel = await getNyckelClient();
  if (!nyckel) throw new InvalidInputError("Nyckel is not configured yet. An admin sets the credentials in Settings → Nyckel.");
  let result: CheckResult;
  try {
    const r = await nyckel.client.invoke(model.functionId, input, {
      modelId: model.modelId,
      capture: false,
      labelCount: Math.max(1, Math.min(model.function.labelCount || 3, 5)),
    });
    result = { ok: true, modelId: model.modelId, output: plainOutput(r.output), latencyMs: Math.round(r.latencyMs) };
  } catch (e) {
    const explained = explainNyckelError(e, "Nyckel");
    if (!explained) throw e;
    result = { ok: false, modelId: model.modelId, message: explained.message };
  }
  await prisma.$transaction(async (tx) => {
    if (result.ok && !model.verifiedAt) await tx.model.update({ where: { id: model.id }, data: { verifiedAt: new Date(), verificationNote: null } });
    await appendAuditEventBy(tx, ctx, {
      action: "model.checked",
      ...auditTarget(model),
      after: {
        modelId: model.modelId,
        nickname: model.nickname,
        sample: summary,
        result: result.ok ? { labelName: result.output.labelName, confidence: result.output.confidence } : { error: result.message },
        ...(result.ok && !model.verifiedAt ? { verified: true } : {}),
      },
    });
  });
  return result;
}

function plainOutput(o: InvokeOutput) {
  return {
    labelName: o.labelName,
    confidence: o.confidence,
    labelConfidences: (o.labelConfidences ?? []).map((c) => ({ labelName: c.labelName, confidence: c.confidence })),
  };
}
