import "server-only";
import { prisma } from "@/lib/db/client";
import { modelLabel } from "@/lib/models/label";
import type { FunctionPinRow } from "@/lib/pins/queries";
import { listCurrentPins } from "@/lib/pins/queries";
import { activeShadowEnvironments, activeShadowsForFunction, getShadow, shadowReport, shadowSnapshotsOfFunction, shadowsOfFunction } from "./queries";
import { shadowEvidenceRun } from "./evidence";
import type { ShadowDto } from "./service";

/**
 * The pages' reads of shadow evaluation (issue 18), on top of lib/shadow/queries.ts: what the function
 * page's section, the overview's marks, the report's live poll and "Use as evidence" need.
 */

/** Mirrored and dropped requests per shadow, summed over its hours. */
export type ShadowCounts = { mirrored: number; dropped: { budget: number; tooLarge: number; cap: number } };

const NO_COUNTS: ShadowCounts = { mirrored: 0, dropped: { budget: 0, tooLarge: 0, cap: 0 } };

export async function shadowCounts(shadowIds: readonly string[]): Promise<Map<string, ShadowCounts>> {
  if (shadowIds.length === 0) return new Map();
  const rows = await prisma.shadowHour.groupBy({
    by: ["shadowId"],
    where: { shadowId: { in: [...shadowIds] } },
    _sum: { mirrored: true, droppedBudget: true, droppedTooLarge: true, droppedCap: true },
  });
  return new Map(
    rows.map((r) => [
      r.shadowId,
      { mirrored: r._sum.mirrored ?? 0, dropped: { budget: r._sum.droppedBudget ?? 0, tooLarge: r._sum.droppedTooLarge ?? 0, cap: r._sum.droppedCap ?? 0 } },
    ]),
  );
}

/** Shadows listed on the function page: every active one, and the latest earlier ones (their reports stay reachable). */
const EARLIER_SHOWN = 10;

/**
 * The function page's "Shadow evaluation" section: the shadows with their counts, and what the start form
 * offers (each environment's pin, which cannot be the candidate, and its running shadow).
 */
export async function getShadowSection(functionId: string, pinRows: readonly FunctionPinRow[]) {
  const [active, recent] = await Promise.all([activeShadowsForFunction(functionId), shadowsOfFunction(functionId, EARLIER_SHOWN + pinRows.length)]);
  const shown = [...active, ...recent.filter((s) => s.state !== "active").slice(0, EARLIER_SHOWN)];
  const counts = await shadowCounts(shown.map((s) => s.id));
  return {
    shadows: shown.map((s) => ({ ...s, ...(counts.get(s.id) ?? NO_COUNTS) })),
    environments: pinRows.map(({ environment, pin }) => ({
      id: environment.id,
      name: environment.name,
      pinModelRefId: pin?.model?.id ?? null,
      pinLabel: modelLabel(pin?.model ?? null, { latest: "latest (not pinned)" }),
      activeShadowId: active.find((s) => s.environment.id === environment.id)?.id ?? null,
    })),
  };
}

/** The environment's name when the candidate is its current pin (a shadow of the pin onto itself), else null. */
export async function candidatePinnedIn(input: { functionId: string; environmentId: string; candidateModelRefId: string }): Promise<string | null> {
  const pin = (await listCurrentPins(input.functionId)).find((p) => p.environmentId === input.environmentId);
  if (!pin?.model || pin.model.id !== input.candidateModelRefId) return null;
  const env = await prisma.environment.findUnique({ where: { id: input.environmentId }, select: { name: true } });
  return env?.name ?? "The environment";
}

/** `${functionId} ${environmentId}` of every cell with a shadow running now (the overview's marks). */
export async function activeShadowCells(): Promise<Set<string>> {
  return new Set((await activeShadowEnvironments()).map((m) => `${m.functionId} ${m.environmentId}`));
}

/** What the report polls: its state, and a version that moves whenever recorded figures or settings change. */
export async function getShadowLiveState(shadowId: string): Promise<{ status: ShadowDto["state"]; version: string } | null> {
  const shadow = await getShadow(shadowId);
  if (!shadow) return null;
  const c = (await shadowCounts([shadow.id])).get(shadow.id) ?? NO_COUNTS;
  return { status: shadow.state, version: [shadow.state, shadow.sharePct, shadow.maxPerSecond, shadow.endsAt, shadow.keepInputs, c.mirrored, c.dropped.budget, c.dropped.tooLarge, c.dropped.cap].join(":") };
}

/** The function page's request form, filled in to move the shadow's environment to its candidate with the frozen snapshot as evidence. */
export async function shadowEvidenceHref(shadowId: string, snapshotId: string): Promise<string> {
  const shadow = await getShadow(shadowId);
  if (!shadow) return "/";
  const q = new URLSearchParams({
    requestEnvironment: shadow.environment.id,
    requestTarget: shadow.candidate.modelRefId,
    requestReason: `Shadow evaluation in ${shadow.environment.name}: ${shadow.candidate.label} answered the environment's real traffic alongside its pin.`,
    requestShadowEvidence: snapshotId,
  });
  return `/functions/${encodeURIComponent(shadow.functionId)}?${q.toString()}#request`;
}

/**
 * The report page: the shadow's report (lib/shadow/queries.ts) with the function's name and what its
 * environment serves now. Null when the shadow does not exist or belongs to another function.
 */
export async function getShadowReportView(functionId: string, shadowId: string) {
  const report = await shadowReport(shadowId);
  if (!report || report.shadow.functionId !== functionId) return null;
  const [fn, pins] = await Promise.all([
    prisma.nyckelFunction.findUnique({ where: { id: functionId }, select: { name: true } }),
    listCurrentPins(functionId),
  ]);
  const pin = pins.find((p) => p.environmentId === report.shadow.environment.id);
  return { report, functionName: fn?.name ?? functionId, servedLabel: modelLabel(pin?.model ?? null, { latest: "latest (not pinned)" }) };
}

/** Frozen shadow reports of a function the request form offers as evidence (newest first), judged like runs. */
const SNAPSHOTS_OFFERED = 20;

export async function listShadowEvidence(functionId: string) {
  const snaps = await shadowSnapshotsOfFunction(functionId, SNAPSHOTS_OFFERED);
  return snaps.map((s) => ({
    ...shadowEvidenceRun({ ...s, functionId, windowEnd: new Date(s.window.to) }),
    shadowId: s.shadowId,
    environmentName: s.environment.name,
    windowStart: s.window.from,
    windowEnd: s.window.to,
    mirrored: s.mirrored,
  }));
}
