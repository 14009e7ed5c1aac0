import "server-only";
import { prisma } from "@/lib/db/client";
import { agreement } from "./stats";
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

/** Agreement of the two models on samples both answered, with its 95% Wilson interval. */
export async function getRunAgreement(runId: string) {
  const rows = await prisma.$queryRaw<Array<{ a: string | null; b: string | null }>>`
    SELECT ra.label_name AS a, rb.label_name AS b
    FROM comparison_results ra
    JOIN comparison_results rb ON rb.run_id = ra.run_id AND rb.sample_id = ra.sample_id AND rb.side = 'b'
    WHERE ra.run_id = ${runId}::uuid AND ra.side = 'a' AND ra.ok AND rb.ok`;
  return agreement(rows);
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
