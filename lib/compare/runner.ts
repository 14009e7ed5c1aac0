import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { prisma } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/logger";
import type { InvokeInput, NyckelClient } from "@/lib/nyckel/client";
import { isNyckelError } from "@/lib/nyckel/errors";
import { getRunRows } from "./queries";
import { buildReport } from "./report";

/**
 * Executes a comparison run: invokes model A and model B (capture=false) for
 * every sample of the set that has no recorded result yet, and records each
 * answer or failure at once. Results are unique per (run, sample, side), so a
 * resumed run (after a crash or restart) skips what was recorded and only the
 * requests in flight at the crash are sent again. The client's process-wide
 * limiter keeps the run within Nyckel's limits.
 */
export type RunOptions = { client: NyckelClient; concurrency?: number; labelCount?: number; batchSize?: number };

type SampleRow = {
  id: string;
  kind: string;
  text: string | null;
  url: string | null;
  tabular: Prisma.JsonValue | null;
  imageBytes: Uint8Array | null;
  mimeType: string | null;
};

export function invokeInputFor(s: SampleRow): InvokeInput {
  switch (s.kind) {
    case "text":
      return { kind: "text", text: s.text ?? "" };
    case "imageUrl":
      return { kind: "imageUrl", url: s.url ?? "" };
    case "tabular":
      return { kind: "tabular", fields: (s.tabular ?? {}) as Record<string, string | number> };
    case "image":
      return { kind: "image", bytes: s.imageBytes ?? new Uint8Array(), mimeType: s.mimeType ?? "application/octet-stream" };
    default:
      throw new Error(`unknown sample kind ${s.kind}`);
  }
}

async function isStopping(runId: string): Promise<boolean> {
  const run = await prisma.comparisonRun.findUnique({ where: { id: runId }, select: { status: true } });
  return !run || run.status === "cancelling" || run.status === "cancelled";
}

export async function executeRun(runId: string, options: RunOptions): Promise<"finished" | "cancelled"> {
  const { client, concurrency = 16, labelCount = 5, batchSize = 200 } = options;
  const run = await prisma.comparisonRun.findUnique({ where: { id: runId } });
  if (!run) throw new Error(`comparison run ${runId} not found`);
  if (run.status === "finished" || run.status === "cancelled" || run.status === "failed") return run.status === "cancelled" ? "cancelled" : "finished";
  await prisma.comparisonRun.update({ where: { id: runId }, data: { status: run.status === "cancelling" ? "cancelling" : "running", startedAt: run.startedAt ?? new Date() } });

  const sides: Array<{ side: "a" | "b"; modelId: string | null }> = [
    { side: "a", modelId: run.modelA },
    { side: "b", modelId: run.modelB },
  ];
  let cursor = 0;
  for (;;) {
    if (await isStopping(runId)) {
      await prisma.comparisonRun.update({ where: { id: runId }, data: { status: "cancelled", finishedAt: new Date() } });
      return "cancelled";
    }
    // Next batch of samples (in set order) with at least one side unrecorded.
    const batch = await prisma.$queryRaw<SampleRow[]>`
      SELECT s.id, s.kind, s.text, s.url, s.tabular, s.image_bytes AS "imageBytes", s.mime_type AS "mimeType", s.position
      FROM samples s
      WHERE s.sample_set_id = ${run.sampleSetId}::uuid AND s.position > ${cursor}
        AND (SELECT count(*) FROM comparison_results r WHERE r.run_id = ${runId}::uuid AND r.sample_id = s.id) < 2
      ORDER BY s.position
      LIMIT ${batchSize}`;
    if (batch.length === 0) break;
    cursor = Number((batch[batch.length - 1] as SampleRow & { position: number }).position);
    const recorded = await prisma.comparisonResult.findMany({
      where: { runId, sampleId: { in: batch.map((s) => s.id) } },
      select: { sampleId: true, side: true },
    });
    const have = new Set(recorded.map((r) => `${r.sampleId}:${r.side}`));
    const tasks = batch.flatMap((sample) => sides.filter((s) => !have.has(`${sample.id}:${s.side}`)).map((s) => ({ sample, ...s })));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
        while (next < tasks.length) {
          const task = tasks[next++]!;
          await invokeAndRecord(run, task.sample, task.side, task.modelId, client, labelCount);
        }
      }),
    );
  }
  // The summary is computed from the recorded results and frozen into the audit log with the status change.
  const report = buildReport(await getRunRows(runId));
  const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10_000) / 10_000 : null);
  const done = await prisma.$transaction(async (tx) => {
    const updated = await tx.comparisonRun.updateMany({
      where: { id: runId, status: { in: ["running", "queued"] } },
      data: { status: "finished", finishedAt: new Date() },
    });
    if (updated.count === 1) {
      await appendAuditEvent(tx, {
        actor: { id: null, label: "system (comparison worker)" },
        action: "comparison.finished",
        functionId: run.functionId,
        targetType: "comparison_run",
        targetId: runId,
        after: {
          modelA: run.modelALabel,
          modelB: run.modelBLabel,
          samples: run.total,
          bothAnswered: report.answered,
          agreement: round(report.agreement.rate),
          agreementCi: [round(report.agreement.ci.low), round(report.agreement.ci.high)],
          errors: report.errors,
          accuracy: report.accuracy ? { a: round(report.accuracy.a.accuracy), b: round(report.accuracy.b.accuracy), mcnemarP: round(report.accuracy.mcnemar.p) } : null,
        },
      });
    }
    return updated;
  });
  if (done.count === 0 && (await isStopping(runId))) {
    await prisma.comparisonRun.update({ where: { id: runId }, data: { status: "cancelled", finishedAt: new Date() } });
    return "cancelled";
  }
  return "finished";
}

async function invokeAndRecord(run: { id: string; functionId: string }, sample: SampleRow, side: "a" | "b", modelId: string | null, client: NyckelClient, labelCount: number) {
  const runId = run.id;
  let data: Prisma.ComparisonResultCreateManyInput;
  try {
    const r = await client.invoke(run.functionId, invokeInputFor(sample), { modelId: modelId ?? undefined, capture: false, labelCount });
    data = {
      runId,
      sampleId: sample.id,
      side,
      ok: true,
      labelName: r.output.labelName,
      labelId: r.output.labelId,
      confidence: r.output.confidence,
      labelConfidences: (r.output.labelConfidences ?? []) as unknown as Prisma.InputJsonValue,
      latencyMs: Math.round(r.latencyMs),
      attempts: r.attempts,
    };
  } catch (e) {
    const message = isNyckelError(e) ? e.message : e instanceof Error ? e.message : String(e);
    if (!isNyckelError(e)) logger.warn({ err: e, runId, sampleId: sample.id }, "comparison invoke failed");
    data = {
      runId,
      sampleId: sample.id,
      side,
      ok: false,
      error: message.slice(0, 2000),
      attempts: isNyckelError(e) ? (e.attempts ?? 1) : 1,
    };
  }
  await prisma.comparisonResult.createMany({ data: [data], skipDuplicates: true });
}
