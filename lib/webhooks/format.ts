import type { WebhookFormat } from "./event-types";

/**
 * The bodies Modelpin sends (pure). JSON: the envelope `{ id, type,
 * createdAt, data }`. Slack-compatible: `{ text }`, one human sentence, for
 * Slack (or Mattermost, Teams workflows…) incoming-webhook URLs.
 */
export type WebhookEnvelope = {
  /** The event id; also the X-Modelpin-Delivery header. Stable across retries. */
  id: string;
  type: string;
  /** ISO 8601, when the event happened. */
  createdAt: string;
  data: Record<string, unknown>;
};

export function renderWebhookBody(format: WebhookFormat, envelope: WebhookEnvelope): string {
  return format === "slack" ? JSON.stringify({ text: slackText(envelope) }) : JSON.stringify(envelope);
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v : typeof v === "number" ? String(v) : null;
}

/** "Fraud model (model_abc)", "model_abc", or "latest". */
function modelLabel(v: unknown): string {
  const m = obj(v);
  if (!m) return str(v) ?? "latest";
  const id = str(m.modelId);
  const nick = str(m.nickname);
  if (!id && !nick) return "latest";
  return nick && id ? `${nick} (${id})` : (id ?? nick)!;
}

function named(v: unknown): string | null {
  const o = obj(v);
  if (!o) return str(v);
  return str(o.name) ?? str(o.slug) ?? str(o.id);
}

/** Slack treats &, < and > specially in text. */
function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const REQUEST_VERBS: Record<string, string> = {
  "request.opened": "requested",
  "request.approved": "approved",
  "request.rejected": "rejected",
  "request.applied": "applied",
  "request.stale": "went stale (the pin moved since it was requested)",
  "request.expired": "expired",
};

/** One sentence describing the event, for chat tools. Tolerant of missing fields. */
export function slackText(e: WebhookEnvelope): string {
  const d = e.data;
  const fn = named(d.function) ?? str(d.functionId);
  const env = named(d.environment) ?? str(d.environmentId);
  const where = [fn ? `*${esc(fn)}*` : null, env ? `in *${esc(env)}*` : null].filter(Boolean).join(" ");
  const actor = str(d.actor) ?? named(d.actor);
  const reason = str(d.reason) ?? str(d.comment);
  const tail = reason ? ` Reason: “${esc(reason)}”` : "";

  if (e.type === "webhook.test") {
    const hook = named(d.webhook);
    return `Modelpin test event${hook ? ` for webhook “${esc(hook)}”` : ""}: deliveries to this URL work.${actor ? ` Sent by ${esc(actor)}.` : ""}`;
  }
  if (e.type === "pin.changed") {
    const before = obj(d.before);
    const after = obj(d.after);
    const kind = str(d.kind);
    const verb = kind === "unpin" ? "unpinned" : kind === "rollback" ? "rolled back" : "pinned";
    const glass = d.breakGlass === true ? ":rotating_light: Break-glass: " : "";
    const to = kind === "unpin" ? "to latest" : `to ${esc(modelLabel(after))}`;
    return `${glass}${actor ? esc(actor) : "Someone"} ${verb} ${where || "a function"} ${to} (was ${esc(modelLabel(before))}).${tail}`;
  }
  if (e.type === "audit.checkpoint") {
    const count = str(d.count) ?? "?";
    const last = str(d.lastEventId);
    const hash = str(d.lastHash);
    const again = d.kind === "reanchor" ? "re-anchored" : "checkpoint";
    return `Modelpin audit ${again}: ${count} events${last ? ` up to event ${last}` : ""}${hash ? `, hash ${hash.slice(0, 16)}…` : ""}.${tail}`;
  }
  if (e.type === "model.discovered") {
    const was = str(d.previousModelId);
    return `Nyckel has a new current model for ${where || "a function"}: ${esc(modelLabel(d.model))}${was ? ` (was ${esc(was)})` : ""}.`;
  }
  if (e.type in REQUEST_VERBS) {
    const request = obj(d.request);
    const target = d.model ?? d.toModel ?? d.target ?? request?.model ?? request?.toModel;
    const model = target !== undefined ? ` to ${esc(modelLabel(target))}` : "";
    const by = actor ? ` by ${esc(actor)}` : "";
    return `Promotion${where ? ` of ${where}` : ""}${model} ${REQUEST_VERBS[e.type]}${by}.${tail}`;
  }
  if (e.type === "drift.candidate" || e.type === "drift.rejected") {
    const candidate = esc(modelLabel(d.candidate));
    const verdict = str(d.verdict);
    const number = str(obj(d.request)?.number);
    return e.type === "drift.candidate"
      ? `Drift watch opened a candidate: ${where || "a function"} to ${candidate}${number ? ` (request #${number})` : ""}.${verdict ? ` ${esc(verdict)}.` : ""}`
      : `Drift watch rejected ${candidate} for ${where || "a function"}${verdict ? `: ${esc(verdict)}` : ""}.`;
  }
  return `Modelpin event ${esc(e.type)}${where ? ` for ${where}` : ""}.`;
}
