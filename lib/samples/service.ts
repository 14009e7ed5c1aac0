import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { sampleBytes } from "./classify";
import { deleteSampleSetSchema, renameSampleSetSchema, sampleSetNameSchema } from "./schemas";
import type { SetSummary } from "./set-builder";
import type { InputKind, ParseResult } from "./types";
import { readSampleUpload } from "./upload";
import { LazyTransaction, SampleSetWriter, assertNameFree, type SetCounts } from "./writer";

const INSERT_BATCH = 500;

/** Saves a parsed in-memory result (scripts, tests) as a named sample set, in one transaction with its audit event. */
export async function createSampleSet(ctx: ServiceContext, input: { functionId: string; name: string; result: ParseResult }) {
  authorize(ctx, "samples:write");
  const name = parseInput(sampleSetNameSchema, input.name);
  const { result } = input;
  if (result.error) throw new InvalidInputError(result.error);
  if (result.samples.length === 0) {
    throw new InvalidInputError(
      result.rejectedCount ? "Nothing to save: every row was rejected (see the reasons)." : "Nothing to save: the upload holds no samples.",
    );
  }
  const fn = await prisma.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true } });
  if (!fn) throw new NotFoundError("That function does not exist.");
  const counts: SetCounts = {
    samples: result.samples.length,
    labeled: result.samples.filter((s) => s.label !== undefined).length,
    duplicates: result.duplicates,
    rejected: result.rejectedCount,
    bytes: result.samples.reduce((n, s) => n + sampleBytes(s), 0),
    kinds: [...new Set(result.samples.map((s) => s.kind))].sort(),
  };
  return prisma.$transaction(
    async (tx) => {
      const writer = new SampleSetWriter(() => Promise.resolve(tx), fn.id, ctx);
      for (let i = 0; i < result.samples.length; i += INSERT_BATCH) await writer.write(result.samples.slice(i, i + INSERT_BATCH));
      return writer.finish(name, counts);
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}

export type SaveUploadOutcome =
  | { ok: true; set: { id: string; name: string; sampleCount: number }; summary: SetSummary }
  | { ok: false; status: 400 | 413 | 415; message: string; summary?: SetSummary };

/**
 * Reads a multipart upload (upload.ts) and saves it as a sample set while it
 * streams: batches of samples go into one transaction, opened with the first full
 * batch and committed only when the whole upload was read and the name is free.
 * A refused, cut-off or failed upload rolls back: nothing of it is ever visible.
 */
export async function saveSampleSetUpload(ctx: ServiceContext, input: { functionId: string; inputKind: InputKind }, request: Request): Promise<SaveUploadOutcome> {
  authorize(ctx, "samples:write");
  const lazy = new LazyTransaction();
  const writer = new SampleSetWriter(() => lazy.tx(), input.functionId, ctx);
  let committed = false;
  try {
    const upload = await readSampleUpload(request, input.inputKind, writer);
    if (!upload.ok) return upload;
    const { summary } = upload;
    if (summary.error) return { ok: false, status: 400, message: summary.error, summary };
    const name = parseInput(sampleSetNameSchema, upload.fields.name);
    const set = await writer.finish(name, summary);
    await lazy.commit();
    committed = true;
    return { ok: true, set, summary };
  } finally {
    if (!committed) await lazy.rollback();
  }
}

const setFields = { id: true, name: true, functionId: true } as const;

/** A sample set that is not deleted, or `missing` as a NotFoundError. */
async function liveSampleSet(tx: Tx, id: string, missing: string) {
  const set = await tx.sampleSet.findFirst({ where: { id, deletedAt: null }, select: setFields });
  if (!set) throw new NotFoundError(missing);
  return set;
}

/** Where a sample set's audit events point: the set, under its function. */
const auditTarget = (set: { id: string; functionId: string }) => ({ functionId: set.functionId, targetType: "sample_set" as const, targetId: set.id });

export async function renameSampleSet(ctx: ServiceContext, raw: { id: string; name: string }) {
  authorize(ctx, "samples:write");
  const input = parseInput(renameSampleSetSchema, raw);
  return prisma.$transaction(async (tx) => {
    const set = await liveSampleSet(tx, input.id, "That sample set does not exist.");
    if (set.name === input.name) return set;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sample-set-name:${set.functionId}`}))`;
    await assertNameFree(tx, set.functionId, input.name, set.id);
    const updated = await tx.sampleSet.update({ where: { id: set.id }, data: { name: input.name }, select: setFields });
    await appendAuditEventBy(tx, ctx, { action: "sample_set.renamed", ...auditTarget(set), before: { name: set.name }, after: { name: updated.name } });
    return updated;
  });
}

/** Hides a sample set from lists and pickers; its samples stay for the runs that used them. */
export async function deleteSampleSet(ctx: ServiceContext, raw: { id: string }) {
  authorize(ctx, "samples:write");
  const input = parseInput(deleteSampleSetSchema, raw);
  return prisma.$transaction(async (tx) => {
    const set = await liveSampleSet(tx, input.id, "That sample set does not exist or was already deleted.");
    await tx.sampleSet.update({ where: { id: set.id }, data: { deletedAt: new Date() } });
    await appendAuditEventBy(tx, ctx, { action: "sample_set.deleted", ...auditTarget(set), before: { name: set.name } });
    return set;
  });
}
