import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { prisma } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/logger";
import type { InvokeInput, NyckelClient } from "@/lib/nyckel/client";
import { isNyckelError } from "@/lib/nyckel/errors";
import { answerOptionsKey, countReusedAnswers, isCacheable, recordStoredAnswers, storeAnswersClause, type AnswerToStore } from "./answers";
import { getRunRows } from "./queries";
import { buildReport } from "./report";

/**
 * Executes a comparison run: invokes model A and model B (capture=false) for
 * every sample of the set that has no recorded result yet, and records each
 * answer or failure as soon as it is known. Results are unique per (run,
 * sample, side), so a resumed run (after a crash or restart) skips what was
 * recorded and only the requests in flight at the crash are sent again.
 *
 * Throughput: the client's process-wide limiter keeps the run within Nyckel's
 * limits; the runner only has to keep it busy. Samples are read page by page
 * (the next page is fetched while the current one is still being worked on, so
 * there is no pause between pages), `concurrency` (sample, side) tasks run at a
 * time, and results that finish while a write is under way are stored together
 * in the next one. A task holds its slot until its result is stored, so at most
 * `concurrency` (sample, side) pairs are ever invoked but not yet recorded — the
 * most a crash can make the resumed run send again.
 *
 * Answer cache (answers.ts): before a page's samples are invoked, the answers
 * an explicit model id already gave on the same content (same options) are
 * recorded from model_answers in one statement, marked reused, and only the
 * rest is sent to Nyckel; every fresh answer of an explicit model id is stored
 * with its result. A side fully answered by the cache sends nothing at all.
 *
 * The default concurrency is twice the limiter's: while some tasks wait for their
 * result to be written, others are queued at the limiter, so a slow write (a busy
 * database) does not leave start slots unused — with a sliding-window limit, a
 * start slot missed is lost for good.
 */
export type RunOptions = {
  client: NyckelClient;
  /** (sample, side) tasks at once (invoking or storing). Default: defaultRunConcurrency(client.rateLimits). */
  concurrency?: number;
  labelCount?: number;
  /** Samples read per page. Default 200. */
  batchSize?: number;
  /** How often a running run looks whether it was cancelled. Default 500 ms. */
  cancelCheckMs?: number;
};

type SampleRow = {
  id: string;
  kind: string;
  text: string | null;
  url: string | null;
  tabular: Prisma.JsonValue | null;
  imageBytes: Uint8Array | null;
  mimeType: string | null;
  contentHash: string;
};

/** Tasks at once for a client with these limits: twice its concurrency (32 without a limiter). */
export function defaultRunConcurrency(limits: { concurrency: number } | null): number {
  return 2 * (limits?.concurrency ?? 16);
}

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

/** A sample of the page being worked on. Image bytes are loaded when its first side starts and dropped after its last. */
type PendingSample = Omit<SampleRow, "imageBytes"> & { position: number; sidesLeft: number; image?: Promise<Uint8Array | null> };
type Task = { sample: PendingSample; side: "a" | "b"; modelId: string | null };

type ResultRow = {
  runId: string;
  sampleId: string;
  side: "a" | "b";
  ok: boolean;
  labelName?: string | null;
  labelId?: string | null;
  confidence?: number | null;
  labelConfidences?: unknown;
  latencyMs?: number | null;
  attempts: number;
  error?: string | null;
  /** A fresh answer of an explicit model id, stored in the answer cache with the result. */
  answer?: AnswerToStore;
};

/**
 * One multi-row INSERT; a (run, sample, side) already recorded is left as it is.
 * Raw SQL rather than createMany: this is the hot path of a run (one call per few
 * results), and a raw statement skips the query compiler.
 */
async function insertResults(rows: ResultRow[], cache: { functionId: string; optionsKey: string }): Promise<void> {
  // 11 parameters a row (and 9 an answer): chunks stay far below PostgreSQL's 65,535.
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const answers = storeAnswersClause(cache.functionId, cache.optionsKey, chunk.flatMap((r) => (r.answer ? [r.answer] : [])));
    const values = chunk.map(
      (r) => Prisma.sql`(${r.runId}::uuid, ${r.sampleId}::uuid, ${r.side}::text, ${r.ok}::boolean, ${r.labelName ?? null}::text, ${r.labelId ?? null}::text,
        ${r.confidence ?? null}::double precision, ${r.labelConfidences === undefined ? null : JSON.stringify(r.labelConfidences)}::jsonb,
        ${r.latencyMs ?? null}::integer, ${r.attempts}::integer, ${r.error ?? null}::text)`,
    );
    await prisma.$executeRaw`${answers}
      INSERT INTO comparison_results (run_id, sample_id, side, ok, label_name, label_id, confidence, label_confidences, latency_ms, attempts, error)
      VALUES ${Prisma.join(values)}
      ON CONFLICT (run_id, sample_id, side) DO NOTHING`;
  }
}

/** Stores results; those handed in while a write is under way go together in the next one. */
function resultWriter(cache: { functionId: string; optionsKey: string }): (data: ResultRow) => Promise<void> {
  let queue: Array<{ data: ResultRow; resolve: () => void; reject: (e: unknown) => void }> = [];
  let writing = false;
  const drain = async () => {
    writing = true;
    while (queue.length > 0) {
      const chunk = queue;
      queue = [];
      try {
        await insertResults(chunk.map((c) => c.data), cache);
        for (const c of chunk) c.resolve();
      } catch (e) {
        for (const c of chunk) c.reject(e);
      }
    }
    writing = false;
  };
  return (data) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ data, resolve, reject });
      if (!writing) void drain();
    });
}

async function isStopping(runId: string): Promise<boolean> {
  const run = await prisma.comparisonRun.findUnique({ where: { id: runId }, select: { status: true } });
  return !run || run.status === "cancelling" || run.status === "cancelled";
}

export async function executeRun(runId: string, options: RunOptions): Promise<"finished" | "cancelled"> {
  const { client, labelCount = 5, batchSize = 200, cancelCheckMs = 500 } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? defaultRunConcurrency(client.rateLimits)));
  const run = await prisma.comparisonRun.findUnique({ where: { id: runId } });
  if (!run) throw new Error(`comparison run ${runId} not found`);
  if (run.status === "finished" || run.status === "cancelled" || run.status === "failed") return run.status === "cancelled" ? "cancelled" : "finished";
  await prisma.comparisonRun.update({ where: { id: runId }, data: { status: run.status === "cancelling" ? "cancelling" : "running", startedAt: run.startedAt ?? new Date() } });

  const sides: Array<{ side: "a" | "b"; modelId: string | null }> = [
    { side: "a", modelId: run.modelA },
    { side: "b", modelId: run.modelB },
  ];

  // Cancellation: looked up at most every cancelCheckMs, shared by all tasks.
  let stopping = await isStopping(runId);
  let checkedAt = Date.now();
  let checking: Promise<void> | null = null;
  const shouldStop = async (): Promise<boolean> => {
    if (!stopping && Date.now() - checkedAt >= cancelCheckMs) {
      checking ??= isStopping(runId)
        .then((v) => {
          stopping ||= v;
          checkedAt = Date.now();
        })
        .finally(() => {
          checking = null;
        });
      await checking;
    }
    return stopping;
  };

  const optionsKey = answerOptionsKey({ labelCount });
  // The task feed: pages of samples (in set order) with at least one side unrecorded;
  // the sides the answer cache holds are recorded from it and never become tasks.
  const tasks: Task[] = [];
  let cursor = 0;
  let exhausted = false;
  let refilling: Promise<void> | null = null;
  const refill = (): Promise<void> => {
    refilling ??= (async () => {
      const page = await prisma.$queryRaw<Array<Omit<PendingSample, "sidesLeft" | "image"> & { hasA: boolean; hasB: boolean }>>`
        SELECT * FROM (
          SELECT s.id, s.kind, s.text, s.url, s.tabular, s.mime_type AS "mimeType", s.content_hash AS "contentHash", s.position,
                 EXISTS (SELECT 1 FROM comparison_results r WHERE r.run_id = ${runId}::uuid AND r.sample_id = s.id AND r.side = 'a') AS "hasA",
                 EXISTS (SELECT 1 FROM comparison_results r WHERE r.run_id = ${runId}::uuid AND r.sample_id = s.id AND r.side = 'b') AS "hasB"
          FROM samples s
          WHERE s.sample_set_id = ${run.sampleSetId}::uuid AND s.position > ${cursor}
        ) pending
        WHERE NOT ("hasA" AND "hasB")
        ORDER BY position
        LIMIT ${batchSize}`;
      if (page.length < batchSize) exhausted = true;
      if (page.length > 0) cursor = Number(page[page.length - 1]!.position);
      const cacheable = (side: "a" | "b", has: boolean, row: { id: string; kind: string }) =>
        !has && isCacheable(side === "a" ? run.modelA : run.modelB, row.kind) ? [row.id] : [];
      const reused = await recordStoredAnswers(run, optionsKey, {
        a: page.flatMap((r) => cacheable("a", r.hasA, r)),
        b: page.flatMap((r) => cacheable("b", r.hasB, r)),
      });
      for (const { hasA, hasB, ...row } of page) {
        const missing = sides.filter((s) => !(s.side === "a" ? hasA : hasB) && !reused.has(`${row.id}:${s.side}`));
        if (missing.length === 0) continue;
        const sample: PendingSample = { ...row, sidesLeft: missing.length };
        for (const s of missing) tasks.push({ sample, ...s });
      }
    })().finally(() => {
      refilling = null;
    });
    return refilling;
  };
  const nextTask = async (): Promise<Task | undefined> => {
    for (;;) {
      if (!exhausted && tasks.length <= 2 * concurrency) {
        const pending = refill();
        // Read ahead while there is work; wait only when there is none.
        if (tasks.length === 0) await pending;
        else pending.catch(() => undefined); // a failed read ahead fails again when awaited
      }
      const task = tasks.shift();
      if (task || exhausted) return task;
    }
  };

  const write = resultWriter({ functionId: run.functionId, optionsKey });
  // A failure (the database gone) stops every task from taking more work before the job fails.
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      try {
        while (!failure && !(await shouldStop())) {
          const task = await nextTask();
          if (!task) return;
          await invokeAndRecord(run, task, client, labelCount, write);
        }
      } catch (error) {
        failure ??= { error };
      }
    }),
  );
  if (failure) throw failure.error;
  if (stopping) {
    await prisma.comparisonRun.update({ where: { id: runId }, data: { status: "cancelled", finishedAt: new Date() } });
    return "cancelled";
  }
  // The summary is computed from the recorded results and frozen into the audit log with the status change.
  const [report, reused] = await Promise.all([getRunRows(runId).then(buildReport), countReusedAnswers(runId)]);
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
          reused,
          accuracy: report.accuracy
            ? {
                a: round(report.accuracy.a.accuracy),
                b: round(report.accuracy.b.accuracy),
                mcnemarP: round(report.accuracy.mcnemar.p),
                bMinusA: round(report.accuracy.difference.difference),
                bMinusACi: [round(report.accuracy.difference.ci.low), round(report.accuracy.difference.ci.high)],
              }
            : null,
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

async function imageOf(sample: PendingSample): Promise<Uint8Array | null> {
  sample.image ??= prisma.sample.findUnique({ where: { id: sample.id }, select: { imageBytes: true } }).then((r) => r?.imageBytes ?? null);
  return sample.image;
}

async function invokeAndRecord(
  run: { id: string; functionId: string },
  task: Task,
  client: NyckelClient,
  labelCount: number,
  write: (data: ResultRow) => Promise<void>,
) {
  const { sample, side, modelId } = task;
  const runId = run.id;
  let data: ResultRow;
  try {
    const imageBytes = sample.kind === "image" ? await imageOf(sample) : null;
    if (sample.kind === "image" && !imageBytes?.length) throw new Error("The sample's image is missing.");
    const r = await client.invoke(run.functionId, invokeInputFor({ ...sample, imageBytes }), { modelId: modelId ?? undefined, capture: false, labelCount, budgetClass: "batch" });
    const answer = {
      labelName: r.output.labelName,
      labelId: r.output.labelId,
      confidence: r.output.confidence,
      labelConfidences: r.output.labelConfidences ?? [],
      latencyMs: Math.round(r.latencyMs),
    };
    data = {
      runId,
      sampleId: sample.id,
      side,
      ok: true,
      ...answer,
      attempts: r.attempts,
      answer: isCacheable(modelId, sample.kind) ? { modelId, contentHash: sample.contentHash, ...answer } : undefined,
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
  } finally {
    if (--sample.sidesLeft === 0) sample.image = undefined;
  }
  await write(data);
}
