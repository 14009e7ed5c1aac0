import "server-only";
import { prisma } from "@/lib/db/client";
import { getPgPool } from "@/lib/db/pool";
import type { Prisma } from "@/lib/generated/prisma/client";
import { keysetPage, olderThanCursor, splitPage } from "@/lib/keyset";
import { buildReport, type RunRow } from "./report";
import { decodeSampleColumns, type SampleColumns, type SampleRow } from "./sample-filters";
import type { RunListFilter } from "./schemas";
import { wilsonInterval } from "./stats";
import { getRunProgress } from "./service";
import { countReusedAnswers } from "./answers";

export { getRunProgress, countReusedAnswers };

const RUNS_PAGE = 50;

/**
 * Runs for /comparisons, newest first, filtered (function, status, who started
 * it, text in a model id / model label / sample-set name) with keyset pages
 * (lib/keyset.ts: `before` is the cursor of the last row shown). Each run carries
 * its agreement over the samples both models answered so far.
 */
export async function listComparisonRuns(filter: Partial<RunListFilter> & { take?: number } = {}) {
  const take = Math.min(filter.take ?? RUNS_PAGE, 200);
  const and: Prisma.ComparisonRunWhereInput[] = [];
  if (filter.function) and.push({ functionId: filter.function });
  if (filter.status) and.push({ status: filter.status });
  if (filter.by) and.push({ createdByLabel: filter.by });
  if (filter.q) {
    const contains = { contains: filter.q, mode: "insensitive" as const };
    and.push({ OR: [{ modelA: contains }, { modelB: contains }, { modelALabel: contains }, { modelBLabel: contains }, { sampleSet: { name: contains } }] });
  }
  if (filter.before) and.push(olderThanCursor(filter.before));
  const rows = await prisma.comparisonRun.findMany({
    where: { AND: and },
    ...keysetPage(take),
    select: {
      id: true,
      status: true,
      total: true,
      modelA: true,
      modelB: true,
      modelALabel: true,
      modelBLabel: true,
      createdByLabel: true,
      createdAt: true,
      finishedAt: true,
      function: { select: { id: true, name: true } },
      sampleSet: { select: { id: true, name: true } },
    },
  });
  const { page, next } = splitPage(rows, take);
  const agreements = await runAgreements(page.map((r) => r.id));
  return {
    runs: page.map((r) => ({ ...r, agreement: agreements.get(r.id) ?? null })),
    next,
  };
}

/** Agreement (with its 95% Wilson interval) of each run, over the samples both models answered. */
export async function runAgreements(runIds: readonly string[]): Promise<Map<string, { agree: number; n: number; rate: number; low: number; high: number }>> {
  const out = new Map<string, { agree: number; n: number; rate: number; low: number; high: number }>();
  if (runIds.length === 0) return out;
  const rows = await prisma.$queryRaw<Array<{ runId: string; n: number; agree: number }>>`
    SELECT ra.run_id::text AS "runId", count(*)::int AS n,
           count(*) FILTER (WHERE ra.label_name IS NOT DISTINCT FROM rb.label_name)::int AS agree
    FROM comparison_results ra
    JOIN comparison_results rb ON rb.run_id = ra.run_id AND rb.sample_id = ra.sample_id AND rb.side = 'b' AND rb.ok
    WHERE ra.side = 'a' AND ra.ok AND ra.run_id = ANY(${[...runIds]}::uuid[])
    GROUP BY ra.run_id`;
  for (const r of rows) {
    if (r.n === 0) continue;
    const ci = wilsonInterval(r.agree, r.n);
    out.set(r.runId, { agree: r.agree, n: r.n, rate: r.agree / r.n, low: ci.low, high: ci.high });
  }
  return out;
}

/** Choices for the filters of /comparisons: functions that have runs, and who started runs. */
export async function listRunFilterOptions() {
  const [functions, starters] = await Promise.all([
    prisma.nyckelFunction.findMany({ where: { comparisons: { some: {} } }, orderBy: { name: "asc" }, select: { id: true, name: true } }),
    prisma.comparisonRun.findMany({ distinct: ["createdByLabel"], orderBy: { createdByLabel: "asc" }, select: { createdByLabel: true } }),
  ]);
  return { functions, starters: starters.map((s) => s.createdByLabel) };
}

export async function getComparisonRun(runId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) return null;
  return prisma.comparisonRun.findUnique({
    where: { id: runId },
    select: {
      id: true,
      status: true,
      total: true,
      modelA: true,
      modelALabel: true,
      modelB: true,
      modelBLabel: true,
      error: true,
      createdByLabel: true,
      createdAt: true,
      startedAt: true,
      finishedAt: true,
      function: { select: { id: true, name: true } },
      sampleSet: { select: { id: true, name: true } },
    },
  });
}

/** A page of a run's samples in set order (after `afterPosition`), inputs beside both outputs: the CSV export (export.ts) reads them page by page. */
export async function listRunSamples(runId: string, take = 200, afterPosition = -1) {
  const run = await prisma.comparisonRun.findUnique({ where: { id: runId }, select: { sampleSetId: true } });
  if (!run) return [];
  const samples = await prisma.sample.findMany({
    where: { sampleSetId: run.sampleSetId, position: { gt: afterPosition } },
    orderBy: { position: "asc" },
    take,
    select: { id: true, position: true, kind: true, text: true, url: true, tabular: true, fileName: true, label: true, results: { where: { runId }, select: { side: true, ok: true, labelName: true, confidence: true, latencyMs: true, error: true, reused: true } } },
  });
  return samples.map((s) => ({
    id: s.id,
    position: s.position,
    input: s.kind === "text" ? (s.text ?? "") : s.kind === "imageUrl" ? (s.url ?? "") : s.kind === "tabular" ? JSON.stringify(s.tabular) : (s.fileName ?? "image"),
    truth: s.label,
    a: s.results.find((r) => r.side === "a") ?? null,
    b: s.results.find((r) => r.side === "b") ?? null,
  }));
}

/**
 * Every sample of a run with both outcomes, in set order (for the report and
 * the runner's summary). Plain pg with array rows: 10,000 rows cost a fraction
 * of what Prisma's raw-query decoding takes, and the report page waits on this.
 */
export async function getRunRows(runId: string): Promise<RunRow[]> {
  const { rows } = await getPgPool().query<[number, string | null, boolean | null, string | null, number | null, number | null, boolean | null, string | null, number | null, number | null]>({
    text: `SELECT s.position, s.label,
                  ra.ok, ra.label_name, ra.confidence, ra.latency_ms,
                  rb.ok, rb.label_name, rb.confidence, rb.latency_ms
           FROM comparison_runs run
           JOIN samples s ON s.sample_set_id = run.sample_set_id
           LEFT JOIN comparison_results ra ON ra.run_id = run.id AND ra.sample_id = s.id AND ra.side = 'a'
           LEFT JOIN comparison_results rb ON rb.run_id = run.id AND rb.sample_id = s.id AND rb.side = 'b'
           WHERE run.id = $1::uuid
           ORDER BY s.position`,
    values: [runId],
    rowMode: "array",
  });
  const side = (ok: boolean | null, label: string | null, confidence: number | null, latencyMs: number | null) =>
    ok === null ? null : { ok, label, confidence, latencyMs };
  return rows.map((r) => ({ position: r[0], truth: r[1], a: side(r[2], r[3], r[4], r[5]), b: side(r[6], r[7], r[8], r[9]) }));
}

export async function getRunReport(runId: string) {
  return buildReport(await getRunRows(runId));
}

/** Characters of a text (or tabular) input sent to the sample table; the CSV export has the whole input. */
export const INPUT_PREVIEW_CHARS = 1000;

/**
 * Every sample of a run with both outcomes, in set order, for the report's
 * sample table, as column-oriented JSON text (`SampleColumns`) that
 * PostgreSQL builds: the route handler sends it as it is. Inputs are
 * shortened to INPUT_PREVIEW_CHARS (the CSV export has them whole), image
 * samples carry their id and file name but no bytes (thumbnails come from
 * /api/samples/{id}/image), confidences are rounded to 6 decimals.
 * Null when the run does not exist.
 */
export async function runSampleColumnsJson(runId: string): Promise<string | null> {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) return null;
  const { rows } = await getPgPool().query<{ json: string | null }>(
    `WITH run AS (SELECT id, sample_set_id FROM comparison_runs WHERE id = $1::uuid),
     r AS (
       SELECT s.position,
              CASE WHEN s.kind = 'image' THEN s.id::text END AS id,
              s.kind,
              CASE WHEN s.kind = 'image' THEN COALESCE(s.file_name, 'image') ELSE left(COALESCE(s.text, s.url, s.tabular::text), $2) END AS input,
              s.kind <> 'image' AND length(COALESCE(s.text, s.url, s.tabular::text)) > $2 AS truncated,
              s.label AS truth,
              ra.ok AS a_ok, ra.label_name AS a_label, round(ra.confidence::numeric, 6) AS a_conf, ra.latency_ms AS a_ms, left(ra.error, 500) AS a_err, ra.reused AS a_reused,
              rb.ok AS b_ok, rb.label_name AS b_label, round(rb.confidence::numeric, 6) AS b_conf, rb.latency_ms AS b_ms, left(rb.error, 500) AS b_err, rb.reused AS b_reused
       FROM run
       JOIN samples s ON s.sample_set_id = run.sample_set_id
       LEFT JOIN comparison_results ra ON ra.run_id = run.id AND ra.sample_id = s.id AND ra.side = 'a'
       LEFT JOIN comparison_results rb ON rb.run_id = run.id AND rb.sample_id = s.id AND rb.side = 'b'
     )
     SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM run) THEN NULL ELSE (
       SELECT json_build_object(
         'position', COALESCE(json_agg(position ORDER BY position), '[]'),
         'id', COALESCE(json_agg(id ORDER BY position), '[]'),
         'kind', COALESCE(json_agg(kind ORDER BY position), '[]'),
         'input', COALESCE(json_agg(input ORDER BY position), '[]'),
         'truncated', COALESCE(json_agg(truncated ORDER BY position), '[]'),
         'truth', COALESCE(json_agg(truth ORDER BY position), '[]'),
         'aOk', COALESCE(json_agg(a_ok ORDER BY position), '[]'),
         'aLabel', COALESCE(json_agg(a_label ORDER BY position), '[]'),
         'aConfidence', COALESCE(json_agg(a_conf ORDER BY position), '[]'),
         'aLatency', COALESCE(json_agg(a_ms ORDER BY position), '[]'),
         'aError', COALESCE(json_agg(a_err ORDER BY position), '[]'),
         'aReused', COALESCE(json_agg(a_reused ORDER BY position), '[]'),
         'bOk', COALESCE(json_agg(b_ok ORDER BY position), '[]'),
         'bLabel', COALESCE(json_agg(b_label ORDER BY position), '[]'),
         'bConfidence', COALESCE(json_agg(b_conf ORDER BY position), '[]'),
         'bLatency', COALESCE(json_agg(b_ms ORDER BY position), '[]'),
         'bError', COALESCE(json_agg(b_err ORDER BY position), '[]'),
         'bReused', COALESCE(json_agg(b_reused ORDER BY position), '[]')
       )::text FROM r) END AS json`,
    [runId, INPUT_PREVIEW_CHARS],
  );
  return rows[0]?.json ?? null;
}

/** The same rows as plain objects (for server code and tests). */
export async function listRunSampleRows(runId: string): Promise<SampleRow[]> {
  const json = await runSampleColumnsJson(runId);
  return json ? decodeSampleColumns(JSON.parse(json) as SampleColumns) : [];
}

/** An image sample's bytes for its thumbnail (null when there is no such image sample). */
export async function getSampleImage(sampleId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(sampleId)) return null;
  const s = await prisma.sample.findFirst({
    where: { id: sampleId, kind: "image" },
    select: { imageBytes: true, mimeType: true, contentHash: true },
  });
  return s?.imageBytes ? { bytes: s.imageBytes, mimeType: s.mimeType, contentHash: s.contentHash } : null;
}
