/**
 * One plain-language sentence per audit action, for the audit table's Change
 * column (pure: no data access). The raw JSON stays in the exports; every
 * action in lib/audit/catalog.ts has an entry here (a unit test checks it).
 */
import { modelLabel } from "@/lib/models/label";

export type Obj = Record<string, unknown>;

/** What a summary reads: the row's before/after JSON and the name of its environment, when known. */
export type SummaryInput = { before: Obj | null; after: Obj | null; environmentName?: string | null };

export function obj(v: unknown): Obj | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : null;
}

export function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const pct = (v: unknown): string => (num(v) === null ? "?" : `${((v as number) * 100).toFixed(1)}%`);
const pctInt = (v: unknown): string => (num(v) === null ? "?" : `${v as number}%`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const quoted = (v: unknown) => (str(v) ? `“${v as string}”` : "");
const env = (i: SummaryInput) => i.environmentName ?? "the environment";

/** A scalar for a sentence; objects become "…" (their JSON is in the export). */
export function short(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "string") return v.length > 80 ? `${v.slice(0, 77)}…` : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.every((x) => typeof x !== "object") ? short(v.join(", ")) : plural(v.length, "item");
  return "…";
}

/** "Alpha (model_a)", "model_a", or "latest" when no model is pinned. */
export function modelText(v: Obj | null): string {
  return modelLabel({ modelId: str(v?.modelId), nickname: str(v?.nickname) });
}

function pinSide(v: Obj | null): string {
  if (!v) return "?";
  const version = num(v.version);
  return version === null ? modelText(v) : `${modelText(v)} v${version}`;
}

function requestNo(i: SummaryInput): string {
  return str(i.after?.request) ? `request ${i.after?.request as string}` : "the request";
}

function policyText(p: Obj | null): string {
  if (!p) return "";
  const n = num(p.approvalsRequired) ?? 0;
  return n === 0 ? "no approval needed" : plural(n, "approval");
}

/** Changed fields "name: A → B; …", scalars only. */
export function fieldChanges(before: Obj | null, after: Obj | null, skip: string[] = []): string {
  if (!before || !after) return "";
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => !skip.includes(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  return keys.length ? keys.map((k) => `${k}: ${short(before[k])} → ${short(after[k])}`).join("; ") : "no field changed";
}

function pin(i: SummaryInput, breakGlass = false): string {
  const kind = str(i.after?.kind);
  const restored = num(i.after?.restoredVersion) !== null ? ` (restores v${i.after?.restoredVersion as number})` : "";
  const promo = obj(i.after?.promotionRequest);
  const via = promo && num(promo.number) !== null ? `, by request #${promo.number as number}` : "";
  return `${kind && breakGlass ? `${kind}: ` : ""}${pinSide(i.before)} → ${pinSide(i.after)}${restored}${via}`;
}

function model(verb: string) {
  return (i: SummaryInput) => `${modelText(i.after ?? i.before)} ${verb}`;
}

function member(i: SummaryInput, what: string): string {
  const who = str(i.after?.email) ?? str(i.after?.name) ?? str(i.before?.email);
  return who ? `${what} (${who})` : what;
}

function webhookName(i: SummaryInput): string {
  return quoted(i.after?.name) || quoted(i.before?.name) || "a webhook";
}

function comparison(i: SummaryInput): string {
  const a = str(i.after?.modelA);
  const b = str(i.after?.modelB);
  return a && b ? `${a} vs ${b}` : "the comparison";
}

const SYNC_WORDS: Record<string, string> = { discoveredModels: "models found", labelsChanged: "labels changed" };

export const SUMMARIES: Readonly<Record<string, (i: SummaryInput) => string>> = {
  "pin.pinned": (i) => pin(i),
  "pin.unpinned": (i) => pin(i),
  "pin.rolled_back": (i) => pin(i),
  "pin.break_glass": (i) => pin(i, true),
  "model.registered": (i) => `Registered ${str(i.after?.modelId) ?? "?"}${str(i.after?.nickname) ? ` as ${quoted(i.after?.nickname)}` : ""}`,
  "model.updated": (i) => `${modelText(i.before)}: ${fieldChanges(i.before, i.after)}`,
  "model.retired": model("retired"),
  "model.restored": model("restored"),
  "model.checked": (i) => {
    const result = obj(i.after?.result);
    const outcome = result?.error ? `error: ${short(result.error)}` : `${str(result?.labelName) ?? "?"} (${pct(result?.confidence)})`;
    return `Checked ${modelText(i.after)} → ${outcome}`;
  },
  "model.discovered": (i) => `Found ${str(i.after?.modelId) ?? "?"} (Nyckel's current model)`,
  "functions.synced": (i) => {
    const a = i.after;
    const parts = Object.entries(a ?? {})
      .filter(([, v]) => typeof v === "number" || (Array.isArray(v) && v.length > 0))
      .map(([k, v]) => `${SYNC_WORDS[k] ?? k}: ${Array.isArray(v) ? v.length : (v as number)}`);
    return parts.length ? `Synced functions from Nyckel (${parts.join(", ")})` : "Synced functions from Nyckel";
  },
  "environment.created": (i) => `Created ${quoted(i.after?.name) || "an environment"}${num(i.after?.approvalsRequired) !== null ? `; policy: ${policyText(i.after)}` : ""}`,
  "environment.updated": (i) => `${str(i.after?.name) ?? env(i)}: ${fieldChanges(i.before, i.after)}`,
  "member.created": (i) => `Added ${str(i.after?.email) ?? "a member"}${str(i.after?.role) ? ` as ${i.after?.role as string}` : ""}${i.after?.via === "sso" ? " (via SSO)" : ""}`,
  "member.role_changed": (i) => `Role ${str(i.before?.role) ?? "?"} → ${str(i.after?.role) ?? "?"}`,
  "member.deactivated": (i) => member(i, "Deactivated; sessions ended"),
  "member.reactivated": (i) => member(i, "Reactivated"),
  "member.sso_linked": (i) => member(i, "Linked to single sign-on"),
  "member.password_changed": () => "Changed own password; other sessions ended",
  "member.password_reset": () => "Set a one-time password; it must be changed at next sign-in",
  "auth.throttled": (i) => {
    const n = num(i.after?.failures);
    const who = str(i.after?.email) ?? str(i.after?.address) ?? "an account";
    const wait = num(i.after?.refusedForMinutes) !== null ? `refused for ${i.after?.refusedForMinutes as number} min` : `slowed down`;
    return `${n !== null ? plural(n, "failed sign-in") : "Failed sign-ins"} for ${who}: ${wait}`;
  },
  "nyckel.credentials_changed": (i) =>
    `Nyckel credentials ${i.before ? "changed" : "set"}${str(i.after?.clientId) ? ` (client ${i.after?.clientId as string})` : ""}; secret ${str(i.after?.secret) ?? "unchanged"}`,
  "nyckel.connection_tested": (i) =>
    i.after?.result === "ok" ? `Connection OK: ${plural(num(i.after?.functionCount) ?? 0, "function")} visible` : `Connection failed: ${short(i.after?.error)}`,
  "comparison.started": (i) => `Started ${comparison(i)} on ${quoted(i.after?.sampleSet) || "a sample set"}${num(i.after?.samples) !== null ? ` (${plural(i.after?.samples as number, "sample")})` : ""}`,
  "comparison.finished": (i) => `${comparison(i)}: agree on ${pct(i.after?.agreement)} of ${num(i.after?.bothAnswered) ?? num(i.after?.samples) ?? "?"} samples`,
  "comparison.cancelled": () => "Cancelled the comparison",
  "comparison.failed": (i) => `The comparison failed: ${short(i.after?.error)}`,
  "comparison.quick": (i) => `Quick compare ${comparison(i)}: ${i.after?.agree === true ? "same answer" : i.after?.agree === false ? "different answers" : "no common answer"}`,
  "request.opened": (i) => {
    const target = obj(i.after?.target);
    const base = obj(i.after?.base);
    const ev = obj(i.after?.evidence);
    const evidence = ev ? `; evidence: ${pct(ev.agreement)} agreement on ${num(ev.n) ?? "?"} samples` : "";
    return `Requested ${env(i)} → ${modelText(target)}, based on v${num(base?.version) ?? 0} (${modelText(base)}); policy: ${policyText(obj(i.after?.policy))}${evidence}`;
  },
  "request.approved": (i) => `Approved ${requestNo(i)} (${num(i.after?.approvals) ?? "?"} of ${num(i.after?.approvalsRequired) ?? "?"})`,
  "request.rejected": (i) => `Rejected ${requestNo(i)}${i.after?.blocking ? "; it is closed" : "; it stays open (rejections do not block here)"}`,
  "request.cancelled": (i) => `Cancelled ${requestNo(i)}${i.after?.byRequester ? " (by the requester)" : ""}`,
  "request.applied": (i) => `Applied ${requestNo(i)}: ${env(i)} pin v${num(i.before?.pinVersion) ?? "?"} → v${num(i.after?.pinVersion) ?? "?"} (${modelText(i.after)})`,
  "request.stale": (i) => `${requestNo(i)} is stale: the pin moved from v${num(i.after?.baseVersion) ?? "?"} to v${num(i.after?.currentVersion) ?? "?"}`,
  "request.expired": (i) => `${requestNo(i)} expired with ${num(i.after?.approvals) ?? 0} approval(s)`,
  "request.integrity_failed": (i) => `Refused to ${str(i.after?.decision) ?? "decide"} ${requestNo(i)}: its stored hash no longer matches`,
  "webhook.created": (i) => `Added ${webhookName(i)}${str(i.after?.url) ? ` → ${i.after?.url as string}` : ""}`,
  "webhook.updated": (i) => (i.after?.secret === "rotated" ? `Rotated the signing secret of ${webhookName(i)}` : `${webhookName(i)}: ${fieldChanges(i.before, i.after)}`),
  "webhook.deleted": (i) => `Deleted ${webhookName(i)}`,
  "webhook.secret_revealed": (i) => `Revealed the signing secret of ${webhookName(i)}`,
  "token.created": (i) => `Created token ${quoted(i.after?.name) || ""} for ${str(i.after?.environment) ?? env(i)}${str(i.after?.expiresAt) ? `, expires ${(i.after?.expiresAt as string).slice(0, 10)}` : ", no expiry"}`,
  "token.revoked": (i) => `Revoked token ${quoted(i.after?.name) || quoted(i.before?.name) || ""}`.trim(),
  "sample_set.created": (i) => `Uploaded ${quoted(i.after?.name) || "a sample set"}${num(i.after?.samples) !== null ? ` (${plural(i.after?.samples as number, "sample")}, ${num(i.after?.labeled) ?? 0} labelled)` : ""}`,
  "sample_set.renamed": (i) => `Renamed ${quoted(i.before?.name)} → ${quoted(i.after?.name)}`,
  "sample_set.deleted": (i) => `Deleted ${quoted(i.before?.name) || "a sample set"}`,
  "function.golden_set_changed": (i) => {
    const name = (v: unknown) => quoted(obj(v)?.name) || "none";
    return `Golden set: ${name(i.before?.goldenSampleSet)} → ${name(i.after?.goldenSampleSet)}`;
  },
  "drift.candidate_opened": (i) => `Opened ${str(i.after?.request) ?? "a request"}: ${env(i)} → ${modelText(obj(i.after?.candidate))} (pin: ${modelText(obj(i.after?.base))}); the reason is the verdict`,
  "drift.rejected": (i) => `Rejected ${modelText(obj(i.after?.candidate))} for ${env(i)} (pin: ${modelText(obj(i.after?.base))}); the reason says why`,
  "drift.awaiting_model_id": (i) => `Latest passes against the pin of ${env(i)}; its model id must be registered before it can be requested`,
  "drift.failed": (i) => `The evaluation of ${modelText(obj(i.after?.candidate))} for ${env(i)} failed; the reason says why`,
  "shadow.started": (i) =>
    `Started shadowing ${pctInt(i.after?.sharePct)} of ${env(i)}'s traffic to ${str(i.after?.candidateLabel) ?? short(i.after?.candidate)} until ${short(i.after?.endsAt)}${i.after?.keepInputs === true ? ", keeping disagreeing inputs" : ""}`,
  "shadow.changed": (i) => {
    const keys = ["sharePct", "maxPerSecond", "endsAt", "keepInputs"].filter((k) => i.before?.[k] !== i.after?.[k]);
    return `Changed the shadow of ${env(i)}: ${keys.map((k) => `${k} ${short(i.before?.[k])} → ${short(i.after?.[k])}`).join(", ") || "no setting"}`;
  },
  "shadow.stopped": (i) => `Stopped shadowing ${env(i)}'s traffic to ${str(i.after?.candidateLabel) ?? short(i.after?.candidate)}`,
  "shadow.frozen": (i) => `Froze a shadow evaluation as evidence: ${plural(num(i.after?.mirrored) ?? 0, "mirrored request")}, agreement ${pct(obj(i.after?.agreement)?.rate)}`,
  "audit.anchored": () => "Signed the head of the audit chain",
  "audit.reanchored": () => "Re-anchored the audit chain to its current head",
};

/** The generic sentence for an action without an entry (events from a newer version). */
export function genericSummary(i: SummaryInput): string {
  if (i.before && i.after) return fieldChanges(i.before, i.after);
  const side = i.after ?? i.before;
  return side ? Object.entries(side).slice(0, 4).map(([k, v]) => `${k}: ${short(v)}`).join("; ") : "";
}
