/** Human summaries and target links of audit rows (pure: no data access). */

import { genericSummary, obj, SUMMARIES, str } from "./summaries";

/** The Change column's sentence for an audit row: its action's summary, or the changed fields. */
export function summarizeChange(row: { action: string; before: unknown; after: unknown }, environmentName?: string | null): string {
  const input = { before: obj(row.before), after: obj(row.after), environmentName };
  return (SUMMARIES[row.action] ?? genericSummary)(input);
}

/** "#12" from a promotion request's audit row or a pin it moved; null otherwise. */
export function requestNumber(row: { action: string; after: unknown }): string | null {
  const after = obj(row.after);
  const promo = obj(after?.promotionRequest);
  if (promo && typeof promo.number === "number") return `#${promo.number}`;
  return row.action.startsWith("request.") ? str(after?.request) : null;
}

export type TargetLink = { href: string; label: string } | null;

export function targetLink(
  row: { targetType: string | null; targetId: string | null; functionId: string | null; action?: string; after?: unknown },
  names: {
    functionName?: string | null;
    canManageEnvironments: boolean;
    canManageMembers: boolean;
    canManageNyckel: boolean;
    canManageWebhooks?: boolean;
    canManageTokens?: boolean;
  },
): TargetLink {
  const fnHref = row.functionId ? `/functions/${encodeURIComponent(row.functionId)}` : null;
  const fnLabel = names.functionName ?? row.functionId ?? "";
  switch (row.targetType) {
    case "pin":
      return fnHref ? { href: `${fnHref}#timeline`, label: `pin of ${fnLabel}` } : null;
    case "model":
      return fnHref ? { href: `${fnHref}#models`, label: `model of ${fnLabel}` } : null;
    case "environment":
      return { href: names.canManageEnvironments ? "/settings/environments" : "/", label: "environment" };
    case "member":
      if (names.canManageMembers) return { href: "/settings/members", label: "member" };
      return row.targetId ? { href: `/audit?actor=${encodeURIComponent(row.targetId)}`, label: "member's actions" } : null;
    case "nyckel":
      return { href: "/functions", label: "functions" };
    case "nyckel_settings":
      return { href: names.canManageNyckel ? "/settings/nyckel" : "/functions", label: "Nyckel settings" };
    case "webhook":
      if (!names.canManageWebhooks) return null;
      return row.targetId ? { href: `/settings/webhooks/${encodeURIComponent(row.targetId)}`, label: "webhook" } : { href: "/settings/webhooks", label: "webhooks" };
    case "api_token":
      return names.canManageTokens ? { href: "/settings/tokens", label: "API tokens" } : null;
    case "promotion_request":
      if (!row.targetId) return null;
      return { href: `/promotions/${encodeURIComponent(row.targetId)}`, label: `request ${requestNumber({ action: row.action ?? "", after: row.after }) ?? ""}`.trim() };
    case "comparison_run":
      return row.targetId ? { href: `/comparisons/${encodeURIComponent(row.targetId)}`, label: "comparison run" } : null;
    case "shadow":
      return fnHref && row.targetId ? { href: `${fnHref}/shadows/${encodeURIComponent(row.targetId)}`, label: "shadow report" } : null;
    case "shadow_snapshot": {
      const shadowId = str(obj(row.after)?.shadowId);
      return fnHref && shadowId ? { href: `${fnHref}/shadows/${encodeURIComponent(shadowId)}`, label: "shadow report" } : null;
    }
  }
  return fnHref ? { href: fnHref, label: fnLabel } : null;
}
