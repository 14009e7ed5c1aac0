import "server-only";
import { createHash } from "node:crypto";
import { invokeInputFor } from "@/lib/compare/runner";
import { prisma } from "@/lib/db/client";
import type { NyckelClient } from "@/lib/nyckel/client";

/**
 * Drift watch's fallback when Nyckel reports no current model id (its field is
 * not documented): at each scheduled sync, invoke `latest` (capture=false, at
 * batch priority) on the first PROBE_SAMPLES samples of the function's golden
 * set and hash the answers. A hash that differs from the last one means
 * "latest" changed: the caller asks for a pin-vs-latest evaluation. The first
 * probe only records the baseline; a failed probe changes nothing.
 */
export const PROBE_SAMPLES = 5;

export type ProbeOutcome =
  | { functionId: string; status: "baseline" | "unchanged" | "changed"; hash: string }
  | { functionId: string; status: "failed"; error: string };

/** The functions to probe: synced, still in Nyckel, with a golden set, and no current model id from Nyckel. */
export async function functionsToProbe(): Promise<Array<{ id: string; goldenSampleSetId: string; latestProbeHash: string | null }>> {
  const rows = await prisma.nyckelFunction.findMany({
    where: { currentModelId: null, missingSince: null, goldenSampleSetId: { not: null }, goldenSampleSet: { deletedAt: null } },
    select: { id: true, goldenSampleSetId: true, latestProbeHash: true },
    orderBy: { id: "asc" },
  });
  return rows.map((r) => ({ id: r.id, goldenSampleSetId: r.goldenSampleSetId!, latestProbeHash: r.latestProbeHash }));
}

/** SHA-256 over the answers (label and confidence to 4 places) in sample order: the same answers, the same hash. */
export function probeHash(answers: ReadonlyArray<{ sampleId: string; labelName: string | null; confidence: number }>): string {
  const canonical = answers.map((a) => `${a.sampleId}\u0000${a.labelName ?? ""}\u0000${a.confidence.toFixed(4)}`).join("\n");
  return createHash("sha256").update(canonical).digest("hex");
}

export async function probeLatest(client: NyckelClient, fn: { id: string; goldenSampleSetId: string; latestProbeHash: string | null }): Promise<ProbeOutcome> {
  const samples = await prisma.sample.findMany({
    where: { sampleSetId: fn.goldenSampleSetId },
    orderBy: [{ sourceRow: "asc" }, { id: "asc" }],
    take: PROBE_SAMPLES,
    select: { id: true, kind: true, text: true, url: true, tabular: true, imageBytes: true, mimeType: true, contentHash: true },
  });
  if (samples.length === 0) return { functionId: fn.id, status: "failed", error: "The golden set has no samples." };
  let answers: Array<{ sampleId: string; labelName: string | null; confidence: number }>;
  try {
    answers = [];
    for (const s of samples) {
      const r = await client.invoke(fn.id, invokeInputFor(s), { capture: false, budgetClass: "batch" });
      answers.push({ sampleId: s.id, labelName: r.output.labelName, confidence: r.output.confidence });
    }
  } catch (e) {
    return { functionId: fn.id, status: "failed", error: e instanceof Error ? e.message : String(e) };
  }
  const hash = probeHash(answers);
  await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { latestProbeHash: hash, latestProbeAt: new Date() } });
  const status = fn.latestProbeHash === null ? "baseline" : fn.latestProbeHash === hash ? "unchanged" : "changed";
  return { functionId: fn.id, status, hash };
}
