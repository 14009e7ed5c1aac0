import "server-only";
import { prisma } from "@/lib/db/client";
import { buildReport, type RunRow } from "./report";
import { getRunProgress } from "./service";

export { getRunProgress };

export async function listComparisonRuns(options: { functionId?: string; take?: number } = {}) {
  return prisma.comparisonRun.findMany({
    where: options.functionId ? { functionId: options.functionId } : {},
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: options.take ?? 100,
    select: {
      id: true,
      status: true,
      total: true,
      modelALabel: true,
      modelBLabel: true,
      createdByLabel: true,
      createdAt: true,
      finishedAt: true,
      function: { select: { id: true, name: true } },
      sampleSet: { select: { id: true, name: true } },
    },
  });
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

/** Samples for the run page: inputs beside both outputs (first N by position). */
export async function listRunSamples(runId: string, take = 200) {
  const run = await prisma.comparisonRun.findUnique({ where: { id: runId }, select: { sampleSetId: true } });
  if (!run) return [];
  const samples = await prisma.sample.findMany({
    where: { sampleSetId: run.sampleSetId },
    orderBy: { position: "asc" },
    take,
    select: { id: true, position: true, kind: true, text: true, url: true, tabular: true, fileName: true, label: true, results: { where: { runId }, select: { side: true, ok: true, labelName: true, confidence: true, latencyMs: true, error: true } } },
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

/** Every sample of a run with both outcomes, in set order (for the report and the CSV export). */
export async function getRunRows(runId: string): Promise<RunRow[]> {
  const rows = await prisma.$queryRaw<
    Array<{ position: number; truth: string | null; a_ok: boolean | null; a_label: string | null; a_conf: number | null; a_ms: number | null; b_ok: boolean | null; b_label: string | null; b_conf: number | null; b_ms: number | null }>
  >`
    SELECT s.position, s.label AS truth,
           ra.ok AS a_ok, ra.label_name AS a_label, ra.confidence AS a_conf, ra.latency_ms AS a_ms,
           rb.ok AS b_ok, rb.label_name AS b_label, rb.confidence AS b_conf, rb.latency_ms AS b_ms
    FROM comparison_runs run
    JOIN samples s ON s.sample_set_id = run.sample_set_id
    LEFT JOIN comparison_results ra ON ra.run_id = run.id AND ra.sample_id = s.id AND ra.side = 'a'
    LEFT JOIN comparison_results rb ON rb.run_id = run.id AND rb.sample_id = s.id AND rb.side = 'b'
    WHERE run.id = ${runId}::uuid
    ORDER BY s.position`;
  const side = (ok: boolean | null, label: string | null, conf: number | null, ms: number | null) =>
    ok === null ? null : { ok, label, confidence: conf, latencyMs: ms };
  return rows.map((r) => ({ position: r.position, truth: r.truth, a: side(r.a_ok, r.a_label, r.a_conf, r.a_ms), b: side(r.b_ok, r.b_label, r.b_conf, r.b_ms) }));
}

export async function getRunReport(runId: string) {
  return buildReport(await getRunRows(runId));
}
