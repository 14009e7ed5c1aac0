/** Wording shared by the promotion screens (pure: no data access, safe in client components). */
import { describeGate, GATE_DEFAULTS } from "@/lib/promotions/gate";
import { modelLabel } from "@/lib/models/label";
import type { Policy } from "@/lib/promotions/schemas";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "needs 2 approvals, 1 so far; one rejection ends it; expires after 72 h; evidence: ≥ 90% agreement with the current pin" */
export function policyParts(p: Policy, approvals?: number): string[] {
  const parts = [
    p.approvalsRequired === 0
      ? "needs no approvals: applies on submit"
      : `needs ${plural(p.approvalsRequired, "approval")} from others${approvals === undefined ? "" : `, ${approvals} so far`}`,
  ];
  if (p.approvalsRequired > 0) parts.push(p.rejectionBlocks ? "one rejection ends it" : "a rejection is recorded but does not end it");
  if (p.approvalsRequired > 0) parts.push(p.requestExpiryHours ? `expires after ${p.requestExpiryHours} h` : "does not expire");
  if (p.minAgreementPct === null) parts.push("no evidence required");
  else if (p.minAnsweredSamples === undefined) parts.push(`evidence: ≥ ${p.minAgreementPct}% agreement with the current pin`);
  else {
    const gate = { minAgreementPct: p.minAgreementPct, minAnsweredSamples: p.minAnsweredSamples, maxErrorPct: p.maxErrorPct ?? GATE_DEFAULTS.maxErrorPct, lowerBound: p.gateLowerBound ?? false };
    parts.push(`evidence against the current pin: ${describeGate(gate)}`);
  }
  return parts;
}

/** A duration in words, coarse: "45 min", "3 h", "2 d 4 h". */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 && hours < 10 ? ` ${minutes % 60} min` : ""}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ""}`;
}

export function modelText(m: { modelId: string | null; nickname?: string | null }): string {
  return modelLabel(m, { latest: "latest (not pinned)" });
}

export const pct = (rate: number | null | undefined) => (rate === null || rate === undefined || !Number.isFinite(rate) ? "—" : `${(rate * 100).toFixed(1)}%`);
