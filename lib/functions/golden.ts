import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { kindsForInputType, setGoldenSetSchema, type SetGoldenSetInput } from "./schemas";

const KIND_WORDS: Record<string, string> = { text: "text", image: "image", imageUrl: "image URL", tabular: "tabular" };

export type GoldenSetChange = {
  functionId: string;
  changed: boolean;
  before: { id: string; name: string } | null;
  after: { id: string; name: string } | null;
};

/**
 * Marks one of the function's sample sets as its golden set (what drift watch
 * evaluates new models on), or clears it. Refused, with the reason, for a set
 * that does not exist or was deleted, a set of another function, or a set whose
 * samples the function cannot take (its input type). The change and its audit
 * event (`function.golden_set_changed`) share one transaction; the latest probe
 * starts over (its hash was taken on the old set). Setting the same set again
 * changes nothing.
 */
export async function setGoldenSet(ctx: ServiceContext, raw: SetGoldenSetInput): Promise<GoldenSetChange> {
  authorize(ctx, "samples:write");
  const input = parseInput(setGoldenSetSchema, raw);
  return prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM functions WHERE id = ${input.functionId} FOR UPDATE`;
    if (!locked) throw new NotFoundError("That function does not exist.");
    const fn = await tx.nyckelFunction.findUniqueOrThrow({
      where: { id: input.functionId },
      select: { id: true, name: true, inputType: true, goldenSampleSet: { select: { id: true, name: true } } },
    });
    const before = fn.goldenSampleSet;
    let after: { id: string; name: string } | null = null;
    if (input.sampleSetId) {
      const set = await tx.sampleSet.findFirst({
        where: { id: input.sampleSetId, deletedAt: null },
        select: { id: true, name: true, kinds: true, sampleCount: true, labeledCount: true, function: { select: { id: true, name: true, inputType: true } } },
      });
      if (!set) throw new NotFoundError("That sample set does not exist or was deleted: choose another of this function's sample sets.");
      if (set.function.id !== fn.id) {
        throw new InvalidInputError(
          `"${set.name}" is a sample set of ${set.function.name} (${set.function.inputType} input), not of ${fn.name}: a golden set must be one of ${fn.name}'s own sample sets.`,
          { sampleSetId: ["Not a sample set of this function."] },
        );
      }
      const allowed = kindsForInputType(fn.inputType);
      const foreign = allowed ? set.kinds.filter((k) => !allowed.includes(k)) : [];
      if (foreign.length > 0) {
        throw new InvalidInputError(
          `"${set.name}" holds ${foreign.map((k) => KIND_WORDS[k] ?? k).join(" and ")} samples, but ${fn.name} takes ${fn.inputType} input: it cannot be the golden set.`,
          { sampleSetId: ["Samples of another input type."] },
        );
      }
      after = { id: set.id, name: set.name };
    }
    if ((before?.id ?? null) === (after?.id ?? null)) return { functionId: fn.id, changed: false, before, after };
    await tx.nyckelFunction.update({
      where: { id: fn.id },
      data: { goldenSampleSetId: after?.id ?? null, latestProbeHash: null, latestProbeAt: null },
    });
    await appendAuditEventBy(tx, ctx, {
      action: "function.golden_set_changed",
      functionId: fn.id,
      targetType: "function",
      targetId: fn.id,
      before: { goldenSampleSet: before },
      after: { goldenSampleSet: after },
    });
    return { functionId: fn.id, changed: true, before, after };
  });
}
