import "server-only";
import { perLabelFlipRates, transitionMatrix, wilsonInterval, type Agreement, type Interval, type LabelFlipRate, type TransitionMatrix } from "@/lib/compare/stats";
import { prisma } from "@/lib/db/client";
import { histogramPercentile } from "./latency";
import { shadowSelect, toShadowDto, type ShadowDto } from "./service";

/**
 * Reads of shadow evaluation (issue 18): DTOs for the pages (`import type` them). The report
 * is computed from the hourly aggregates (never the raw rows), so it costs the same for a
 * thousand mirrored requests as for ten million; it has the comparison report's shape where
 * the data allows (agreement with its 95% interval, transition matrix, flip rates, latency,
 * errors), plus what only live traffic has (drops, the hourly series, the reservoir).
 */

export type { ShadowDto, ShadowState } from "./service";

export async function getShadow(shadowId: string): Promise<ShadowDto | null> {
  if (!/^[0-9a-f-]{36}$/i.test(shadowId)) return null;
  const row = await prisma.shadow.findUnique({ where: { id: shadowId }, select: shadowSelect });
  return row ? toShadowDto(row) : null;
}

/** The function's active shadows (not stopped, not past their end), one per environment at most. */
export async function activeShadowsForFunction(functionId: string): Promise<ShadowDto[]> {
  const rows = await prisma.shadow.findMany({
    where: { functionId, stoppedAt: null, endsAt: { gt: new Date() } },
    select: shadowSelect,
    orderBy: { environment: { sortOrder: "asc" } },
  });
  return rows.map((r) => toShadowDto(r));
}

/** Every shadow of the function, newest first (at most `limit`). */
export async function shadowsOfFunction(functionId: string, limit = 50): Promise<ShadowDto[]> {
  const rows = await prisma.shadow.findMany({ where: { functionId }, select: shadowSelect, orderBy: { createdAt: "desc" }, take: limit });
  return rows.map((r) => toShadowDto(r));
}

export type ActiveShadowMark = { environmentId: string; functionId: string; shadowId: string; candidateModelId: string };

/** Which (environment, function) pairs have an active shadow (the overview marks them). */
export async function activeShadowEnvironments(): Promise<ActiveShadowMark[]> {
  const rows = await prisma.shadow.findMany({
    where: { stoppedAt: null, endsAt: { gt: new Date() } },
    select: { id: true, environmentId: true, functionId: true, candidateModelId: true },
  });
  return rows.map((r) => ({ environmentId: r.environmentId, functionId: r.functionId, shadowId: r.id, candidateModelId: r.candidateModelId }));
}

export type ShadowSnapshotDto = {
  id: string;
  shadowId: string;
  environment: { id: string; slug: string; name: string };
  window: { from: string; to: string };
  /** The served model (null = latest) and the candidate, by Nyckel model id. */
  servedModelId: string | null;
  candidateModelId: string;
  mirrored: number;
  answered: number;
  agree: number;
  createdBy: string;
  createdAt: string;
};

/** The function's shadows frozen as evidence, newest first: what a promotion request can attach (`evidenceShadowSnapshotId`). */
export async function shadowSnapshotsOfFunction(functionId: string, limit = 50): Promise<ShadowSnapshotDto[]> {
  const rows = await prisma.shadowSnapshot.findMany({
    where: { shadow: { functionId } },
    orderBy: { createdAt: "desc" },
    take: limit,
    include: { shadow: { select: { environment: { select: { id: true, slug: true, name: true } } } } },
  });
  return rows.map((r) => ({
    id: r.id,
    shadowId: r.shadowId,
    environment: r.shadow.environment,
    window: { from: r.windowStart.toISOString(), to: r.windowEnd.toISOString() },
    servedModelId: r.servedModelId,
    candidateModelId: r.candidateModelId,
    mirrored: r.mirrored,
    answered: r.answered,
    agree: r.agree,
    createdBy: r.createdByLabel,
    createdAt: r.createdAt.toISOString(),
  }));
}

export type ShadowLatency = { n: number; p50: number; p95: number };

export type ShadowHourPoint = { hour: string; mirrored: number; answered: number; agree: number; rate: number; ci: Interval };

export type ShadowReservoirItem = {
  slot: number;
  at: string;
  inputSha256: string;
  contentType: string;
  bytes: number;
  /** The input as text when it is text or JSON (first 2,000 characters), else null. */
  text: string | null;
  query: string;
  servedLabel: string | null;
  candidateLabel: string | null;
};

export type ShadowReport = {
  shadow: ShadowDto;
  window: { from: string; to: string };
  /** Proxied requests seen while active, sampled by the share, dropped (by reason), mirrored and recorded. */
  traffic: { seen: number; sampled: number; dropped: { budget: number; tooLarge: number; cap: number }; mirrored: number };
  /** Mirrored requests both sides answered with a label: the denominator of the agreement. */
  answered: number;
  agreement: Agreement;
  /** Served (rows) × candidate (columns), over answered pairs. */
  matrix: TransitionMatrix;
  flips: LabelFlipRate[];
  /** Mean of candidate − served confidence over answered pairs (NaN when none). */
  confidenceChange: { mean: number; n: number };
  latency: { served: ShadowLatency; candidate: ShadowLatency };
  errors: { served: number; candidate: number };
  series: ShadowHourPoint[];
  /** Disagreeing inputs (only when the shadow keeps inputs). */
  reservoir: ShadowReservoirItem[];
};

const HOUR = 3_600_000;

/** The report over [from, to) (hours are whole: a window starts at its first hour). Default: the whole shadow. */
export async function shadowReport(shadowId: string, window: { from?: Date; to?: Date } = {}): Promise<ShadowReport | null> {
  const shadow = await getShadow(shadowId);
  if (!shadow) return null;
  const from = new Date(Math.floor((window.from ?? new Date(shadow.createdAt)).getTime() / HOUR) * HOUR);
  const to = window.to ?? new Date();
  const range = { shadowId, hour: { gte: from, lt: to } };
  const [hours, pairs, latencies, reservoir] = await Promise.all([
    prisma.shadowHour.findMany({ where: range, orderBy: { hour: "asc" } }),
    prisma.shadowHourPair.groupBy({ by: ["servedLabel", "candidateLabel"], where: range, _sum: { count: true } }),
    prisma.shadowLatency.groupBy({ by: ["side", "bucket"], where: range, _sum: { count: true } }),
    shadow.keepInputs
      ? prisma.shadowReservoirInput.findMany({ where: { shadowId }, orderBy: { at: "desc" } })
      : Promise.resolve([]),
  ]);
  const sum = (f: (h: (typeof hours)[number]) => number) => hours.reduce((a, h) => a + f(h), 0);
  const answeredPairs = pairs
    .filter((p) => p.servedLabel !== "" && p.candidateLabel !== "")
    .map((p) => ({ a: p.servedLabel, b: p.candidateLabel, count: p._sum.count ?? 0 }));
  const answered = sum((h) => h.answered);
  const agree = sum((h) => h.agree);
  const w = wilsonInterval(agree, answered);
  const side = (name: string) => {
    const counts = new Map<number, number>();
    for (const l of latencies) if (l.side === name) counts.set(l.bucket, (counts.get(l.bucket) ?? 0) + (l._sum.count ?? 0));
    let n = 0;
    for (const c of counts.values()) n += c;
    return { n, p50: histogramPercentile(counts, 50), p95: histogramPercentile(counts, 95) };
  };
  const deltaN = sum((h) => h.confidenceDeltaN);
  return {
    shadow,
    window: { from: from.toISOString(), to: to.toISOString() },
    traffic: {
      seen: sum((h) => h.seen),
      sampled: sum((h) => h.sampled),
      dropped: { budget: sum((h) => h.droppedBudget), tooLarge: sum((h) => h.droppedTooLarge), cap: sum((h) => h.droppedCap) },
      mirrored: sum((h) => h.mirrored),
    },
    answered,
    agreement: { n: answered, agree, rate: w.p, ci: { low: w.low, high: w.high } },
    matrix: transitionMatrix(answeredPairs),
    flips: perLabelFlipRates(answeredPairs),
    confidenceChange: { mean: deltaN ? sum((h) => h.confidenceDeltaSum) / deltaN : Number.NaN, n: deltaN },
    latency: { served: side("served"), candidate: side("candidate") },
    errors: { served: sum((h) => h.servedErrors), candidate: sum((h) => h.candidateErrors) },
    series: hours.map((h) => {
      const hw = wilsonInterval(h.agree, h.answered);
      return { hour: h.hour.toISOString(), mirrored: h.mirrored, answered: h.answered, agree: h.agree, rate: hw.p, ci: { low: hw.low, high: hw.high } };
    }),
    reservoir: reservoir.map((r) => ({
      slot: r.slot,
      at: r.at.toISOString(),
      inputSha256: r.inputSha256,
      contentType: r.contentType,
      bytes: r.body.byteLength,
      text: /^(text\/|application\/json)/i.test(r.contentType) ? Buffer.from(r.body).toString("utf8").slice(0, 2000) : null,
      query: r.query,
      servedLabel: r.servedLabel,
      candidateLabel: r.candidateLabel,
    })),
  };
}
