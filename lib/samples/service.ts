import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { parseInput } from "@/lib/validation";
import { sampleBytes, type ParseResult, type Sample } from "./parse";
import { deleteSampleSetSchema, renameSampleSetSchema, sampleSetNameSchema } from "./schemas";

const INSERT_BATCH = 500;

async function assertNameFree(tx: Tx, functionId: string, name: string, exceptId?: string) {
  const clash = await tx.sampleSet.findFirst({
    where: { functionId, deletedAt: null, name: { equals: name, mode: "insensitive" }, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true },
  });
  if (clash) throw new ConflictError(`This function already has a sample set named "${name}".`, { name: ["Choose another name."] });
}

function row(sample: Sample, sampleSetId: string, position: number): Prisma.SampleCreateManyInput {
  const base = { sampleSetId, position, kind: sample.kind, label: sample.label ?? null, contentHash: sample.contentHash, sourceRow: sample.sourceRow, source: sample.source ?? null };
  switch (sample.kind) {
    case "text":
      return { ...base, text: sample.value };
    case "imageUrl":
      return { ...base, url: sample.value };
    case "tabular":
      return { ...base, tabular: sample.value };
    case "image":
      return { ...base, imageBytes: Buffer.from(sample.value.bytes), mimeType: sample.value.mimeType, fileName: sample.value.fileName ?? null };
  }
}

/**
 * Saves a parsed upload as a named sample set of a function, in one
 * transaction with its audit event: all of it or nothing.
 */
export async function createSampleSet(ctx: ServiceContext, input: { functionId: string; name: string; result: ParseResult }) {
  authorize(ctx, "samples:write");
  const name = parseInput(sampleSetNameSchema, input.name);
  const { result } = input;
  if (result.error) throw new InvalidInputError(result.error);
  if (result.samples.length === 0) {
    throw new InvalidInputError(
      result.rejected.length ? "Nothing to save: every row was rejected (see the reasons)." : "Nothing to save: the upload holds no samples.",
    );
  }
  const fn = await prisma.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true } });
  if (!fn) throw new NotFoundError("That function does not exist.");
  const labeledCount = result.samples.filter((s) => s.label !== undefined).length;
  const kinds = [...new Set(result.samples.map((s) => s.kind))].sort();
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sample-set-name:${fn.id}`}))`;
      await assertNameFree(tx, fn.id, name);
      const set = await tx.sampleSet.create({
        data: {
          functionId: fn.id,
          name,
          sampleCount: result.samples.length,
          labeledCount,
          duplicateCount: result.duplicates,
          rejectedCount: result.rejected.length,
          totalBytes: result.samples.reduce((n, s) => n + sampleBytes(s), 0),
          kinds,
          createdById: ctx.actor.id,
          createdByLabel: ctx.actor.label,
        },
        select: { id: true, name: true, sampleCount: true },
      });
      for (let i = 0; i < result.samples.length; i += INSERT_BATCH) {
        await tx.sample.createMany({ data: result.samples.slice(i, i + INSERT_BATCH).map((s, j) => row(s, set.id, i + j + 1)) });
      }
      await appendAuditEvent(tx, {
        actor: ctx.actor,
        action: "sample_set.created",
        functionId: fn.id,
        targetType: "sample_set",
        targetId: set.id,
        after: { name, samples: result.samples.length, labeled: labeledCount, duplicatesDropped: result.duplicates, rejected: result.rejected.length, kinds },
        requestId: ctx.requestId,
      });
      return set;
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}

export async function renameSampleSet(ctx: ServiceContext, raw: { id: string; name: string }) {
  authorize(ctx, "samples:write");
  const input = parseInput(renameSampleSetSchema, raw);
  return prisma.$transaction(async (tx) => {
    const set = await tx.sampleSet.findFirst({ where: { id: input.id, deletedAt: null }, select: { id: true, name: true, functionId: true } });
    if (!set) throw new NotFoundError("That sample set does not exist.");
    if (set.name === input.name) return set;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sample-set-name:${set.functionId}`}))`;
    await assertNameFree(tx, set.functionId, input.name, set.id);
    const updated = await tx.sampleSet.update({ where: { id: set.id }, data: { name: input.name }, select: { id: true, name: true, functionId: true } });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "sample_set.renamed",
      functionId: set.functionId,
      targetType: "sample_set",
      targetId: set.id,
      before: { name: set.name },
      after: { name: updated.name },
      requestId: ctx.requestId,
    });
    return updated;
  });
}

/** Hides a sample set from lists and pickers; its samples stay for the runs that used them. */
export async function deleteSampleSet(ctx: ServiceContext, raw: { id: string }) {
  authorize(ctx, "samples:write");
  const input = parseInput(deleteSampleSetSchema, raw);
  return prisma.$transaction(async (tx) => {
    const set = await tx.sampleSet.findFirst({ where: { id: input.id, deletedAt: null }, select: { id: true, name: true, functionId: true } });
    if (!set) throw new NotFoundError("That sample set does not exist or was already deleted.");
    await tx.sampleSet.update({ where: { id: set.id }, data: { deletedAt: new Date() } });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "sample_set.deleted",
      functionId: set.functionId,
      targetType: "sample_set",
      targetId: set.id,
      before: { name: set.name },
      requestId: ctx.requestId,
    });
    return set;
  });
}
