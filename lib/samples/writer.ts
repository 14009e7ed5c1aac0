import "server-only";
import { randomUUID } from "node:crypto";
import { appendAuditEvent } from "@/lib/audit/service";
import type { ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { SampleSink } from "./set-builder";
import type { Sample } from "./types";

/** The counts a saved set records. */
export type SetCounts = { samples: number; labeled: number; duplicates: number; rejected: number; bytes: number; kinds: string[] };

const ROLLBACK = Symbol("rollback");

/**
 * An interactive transaction opened on first use (the first full batch of an upload,
 * or its end) and ended by `commit()` or `rollback()`: an upload holds no database
 * connection while it is only counting rejected rows, and nothing it wrote is visible
 * before the commit. Prisma's timeout (5 minutes, the route's maxDuration) still applies.
 */
export class LazyTransaction {
  private opened: Promise<Tx> | null = null;
  private ended: Promise<void> | null = null;
  private end: ((commit: boolean) => void) | null = null;

  tx(): Promise<Tx> {
    this.opened ??= new Promise<Tx>((resolveTx, rejectTx) => {
      this.ended = prisma
        .$transaction(
          async (tx) => {
            resolveTx(tx);
            const commit = await new Promise<boolean>((resolve) => (this.end = resolve));
            if (!commit) throw ROLLBACK;
          },
          { timeout: 300_000, maxWait: 10_000 },
        )
        .catch((e: unknown) => {
          rejectTx(e);
          if (e !== ROLLBACK) throw e;
        });
      // Awaited by commit()/rollback(); a failure before then (a timeout) must not be an unhandled rejection.
      this.ended.catch(() => undefined);
    });
    return this.opened;
  }

  async commit(): Promise<void> {
    if (!this.opened) return;
    await this.opened;
    this.end?.(true);
    await this.ended;
  }

  async rollback(): Promise<void> {
    if (!this.opened) return;
    const ok = await this.opened.then(
      () => true,
      () => false,
    );
    if (ok) this.end?.(false);
    await this.ended?.catch(() => undefined);
  }
}

export async function assertNameFree(tx: Tx, functionId: string, name: string, exceptId?: string) {
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
 * Writes a set batch by batch: the set row first (under a placeholder name, inside
 * the transaction, so nobody sees it), its samples as they come, and at the end its
 * name, counts and audit event. All of it in the caller's one transaction.
 */
export class SampleSetWriter implements SampleSink {
  private setId: string | null = null;
  private position = 0;

  constructor(
    private readonly tx: () => Promise<Tx>,
    private readonly functionId: string,
    private readonly ctx: ServiceContext,
  ) {}

  async write(batch: Sample[]): Promise<void> {
    const tx = await this.tx();
    const id = await this.ensureSet(tx);
    await tx.sample.createMany({ data: batch.map((s) => row(s, id, ++this.position)) });
  }

  async finish(name: string, counts: SetCounts): Promise<{ id: string; name: string; sampleCount: number }> {
    const tx = await this.tx();
    const id = await this.ensureSet(tx);
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sample-set-name:${this.functionId}`}))`;
    await assertNameFree(tx, this.functionId, name, id);
    const set = await tx.sampleSet.update({
      where: { id },
      data: { name, sampleCount: counts.samples, labeledCount: counts.labeled, duplicateCount: counts.duplicates, rejectedCount: counts.rejected, totalBytes: counts.bytes, kinds: counts.kinds },
      select: { id: true, name: true, sampleCount: true },
    });
    await appendAuditEvent(tx, {
      actor: this.ctx.actor,
      action: "sample_set.created",
      functionId: this.functionId,
      targetType: "sample_set",
      targetId: set.id,
      after: { name, samples: counts.samples, labeled: counts.labeled, duplicatesDropped: counts.duplicates, rejected: counts.rejected, kinds: counts.kinds },
      requestId: this.ctx.requestId,
    });
    return set;
  }

  private async ensureSet(tx: Tx): Promise<string> {
    if (this.setId) return this.setId;
    const set = await tx.sampleSet.create({
      data: {
        functionId: this.functionId,
        name: `(uploading ${randomUUID()})`,
        sampleCount: 0,
        labeledCount: 0,
        duplicateCount: 0,
        rejectedCount: 0,
        totalBytes: 0,
        kinds: [],
        createdById: this.ctx.actor.id,
        createdByLabel: this.ctx.actor.label,
      },
      select: { id: true },
    });
    this.setId = set.id;
    return set.id;
  }
}
