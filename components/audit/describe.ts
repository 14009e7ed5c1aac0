/** Human summaries and target links of audit rows (pure: no data access). */

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function pinSide(v: Obj | null): string {
  if (!v) return "?";
  const model = str(v.modelId) ? (str(v.nickname) ? `${v.nickname} (${v.modelId})` : String(v.modelId)) : "latest";
  return typeof v.version === "number" ? `${model} v${v.version}` : model;
}

function short(v: unknown): string {
  if (v === null || v === undefined) return "—";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

export function summarizeChange(row: { action: string; before: unknown; after: unknown }): string {
  const before = obj(row.before);
  const after = obj(row.after);
  if (row.action.startsWith("pin.")) {
    const kind = str(after?.kind);
    const restored = typeof after?.restoredVersion === "number" ? ` (restores v${after.restoredVersion})` : "";
    return `${kind && row.action === "pin.break_glass" ? `${kind}: ` : ""}${pinSide(before)} → ${pinSide(after)}${restored}`;
  }
  switch (row.action) {
    case "model.registered":
      return `${str(after?.modelId) ?? "?"} as “${str(after?.nickname) ?? ""}”`;
    case "model.discovered":
      return `${str(after?.modelId) ?? "?"} (Nyckel's current model)`;
    case "model.retired":
    case "model.restored":
      return `${str(after?.modelId) ?? "?"}${str(after?.nickname) ? ` (${after?.nickname})` : ""} ${row.action === "model.retired" ? "retired" : "restored"}`;
    case "model.checked": {
      const result = obj(after?.result);
      const outcome = result?.error ? `error: ${short(result.error)}` : `${str(result?.labelName) ?? "?"} (${typeof result?.confidence === "number" ? (result.confidence * 100).toFixed(1) : "?"}%)`;
      return `${str(after?.modelId) ?? "?"} → ${outcome}`;
    }
  }
  if (before && after) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    if (keys.length) return keys.map((k) => `${k}: ${short(before[k])} → ${short(after[k])}`).join("; ");
    return "no field changed";
  }
  if (after) return Object.entries(after).slice(0, 4).map(([k, v]) => `${k}: ${short(v)}`).join("; ");
  return "";
}

export type TargetLink = { href: string; label: string } | null;

export function targetLink(
  row: { targetType: string | null; targetId: string | null; functionId: string | null },
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
      return row.targetId ? { href: `/promotions/${encodeURIComponent(row.targetId)}`, label: "promotion request" } : null;
    case "comparison_run":
      return row.targetId ? { href: `/comparisons/${encodeURIComponent(row.targetId)}`, label: "comparison run" } : null;
  }
  return fnHref ? { href: fnHref, label: fnLabel } : null;
}
