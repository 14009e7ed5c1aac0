import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { toInvokeInput } from "@/lib/models/service";
import type { InvokeInput } from "@/lib/nyckel/client";
import { explainNyckelError } from "@/lib/nyckel-settings/errors";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { checkImageBytes } from "@/lib/samples/parse";
import { parseInput } from "@/lib/validation";
import {
  QUICK_LABEL_COUNT,
  modelChoiceSchema,
  quickCompareSchema,
  type ModelChoice,
  type QuickCompareInput,
  type QuickCompareResult,
  type QuickSide,
} from "./schemas";
import { resolveChoice } from "./service";

/** An image as it arrived at POST /api/comparisons/quick (checked here, by content). */
export type QuickImage = { kind: "image"; bytes: Uint8Array; fileName?: string };

export type QuickCompareRequest =
  | QuickCompareInput
  | { functionId: string; modelA: ModelChoice; modelB: ModelChoice; sample: QuickImage };

function imageInput(inputType: string, image: QuickImage): { input: InvokeInput; summary: Record<string, unknown> } {
  if (inputType.toLowerCase() !== "image") {
    throw new InvalidInputError(`This function takes ${inputType} input; give a ${inputType.toLowerCase()} sample.`, { sample: ["Wrong kind of sample."] });
  }
  const check = checkImageBytes(image.bytes, image.fileName);
  if (!check.ok) throw new InvalidInputError(check.reason, { sample: [check.reason] });
  return {
    input: { kind: "image", bytes: image.bytes, mimeType: check.mimeType },
    summary: { kind: "image", mimeType: check.mimeType, bytes: image.bytes.byteLength },
  };
}

/**
 * Quick compare: invokes model A and model B of one function on one sample,
 * concurrently, with capture=false (Nyckel keeps nothing) and the top labels,
 * through the configured client (its limiter and retries). "Pinned in <env>"
 * resolves to the pin's model id now. Each side ends with its output or with
 * Nyckel's error in words; a bad sample, an unknown or retired model, or a
 * Nyckel that is not configured is refused before anything is sent.
 * Changes nothing in Modelpin; the invocation is an audit event (with a
 * summary of the sample, never the sample), like a model check.
 */
export async function quickCompare(ctx: ServiceContext, raw: QuickCompareRequest): Promise<QuickCompareResult> {
  authorize(ctx, "comparisons:run");
  // Text and tabular samples are validated by the action's schema; an image by its bytes.
  const image = raw.sample.kind === "image" ? raw.sample : null;
  const input = image
    ? { functionId: String(raw.functionId ?? ""), modelA: parseInput(modelChoiceSchema, raw.modelA), modelB: parseInput(modelChoiceSchema, raw.modelB), sample: null }
    : parseInput(quickCompareSchema, raw);
  const fn = await prisma.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true, inputType: true, labelCount: true } });
  if (!fn) throw new NotFoundError("That function does not exist. Sync your functions from Nyckel first.");
  const sample = image ? imageInput(fn.inputType, image) : toInvokeInput(fn.inputType, input.sample!);

  const [a, b] = await Promise.all([resolveChoice(prisma, fn.id, input.modelA), resolveChoice(prisma, fn.id, input.modelB)]);
  const nyckel = await getNyckelClient();
  if (!nyckel) throw new InvalidInputError("Nyckel is not configured yet. An admin sets the credentials in Settings → Nyckel.");
  const labelCount = Math.max(1, Math.min(QUICK_LABEL_COUNT, fn.labelCount || QUICK_LABEL_COUNT));

  const invoke = async (side: { modelId: string | null; label: string }): Promise<QuickSide> => {
    try {
      const r = await nyckel.client.invoke(fn.id, sample.input, { modelId: side.modelId ?? undefined, capture: false, labelCount });
      return {
        ok: true,
        model: side.label,
        modelId: side.modelId,
        label: r.output.labelName,
        confidence: r.output.confidence,
        labelConfidences: (r.output.labelConfidences ?? [])
          .map((c) => ({ label: c.labelName, confidence: c.confidence }))
          .sort((x, y) => y.confidence - x.confidence)
          .slice(0, labelCount),
        latencyMs: Math.round(r.latencyMs),
      };
    } catch (e) {
      const explained = explainNyckelError(e, "Nyckel");
      if (!explained) throw e;
      return { ok: false, model: side.label, modelId: side.modelId, message: explained.message };
    }
  };
  const [outA, outB] = await Promise.all([invoke(a), invoke(b)]);
  const agree = outA.ok && outB.ok ? outA.label === outB.label : null;

  const summary = (o: QuickSide) => (o.ok ? { label: o.label, confidence: o.confidence, latencyMs: o.latencyMs } : { error: o.message });
  await prisma.$transaction((tx) =>
    appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "comparison.quick",
      functionId: fn.id,
      targetType: "function",
      targetId: fn.id,
      after: { modelA: a.label, modelB: b.label, sample: sample.summary, a: summary(outA), b: summary(outB), agree },
      requestId: ctx.requestId,
    }),
  );
  return { a: outA, b: outB, agree };
}
