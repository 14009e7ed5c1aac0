import "server-only";
import { decryptSecret } from "@/lib/crypto/secret-box";
import { prisma } from "@/lib/db/client";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { isOutboundAddressError } from "@/lib/net/outbound-agent";
import { outboundFetch } from "@/lib/net/outbound";
import { encryptionKey } from "@/lib/nyckel-settings/connection";
import type { WebhookFormat } from "./event-types";
import { renderWebhookBody, type WebhookEnvelope } from "./format";
import { checkWebhookUrl } from "./schemas";
import { webhookRequestHeaders } from "./sign";

/** One attempt: POST with this timeout (connect, send and the whole response). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of a receiver's answer the delivery log keeps (enough to recognise it, too little to read a page through it). */
export const RESPONSE_EXCERPT_BYTES = 200;

export type AttemptResult = {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
};

/** Reads at most `limit` bytes of a response body, then drops the rest. */
async function readExcerpt(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    truncated = size > limit;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (size === 0) return null;
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  // A cut in the middle of a multi-byte character decodes to U+FFFD; drop it.
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes).replace(/\uFFFD$/, "");
  return truncated ? `${text}…` : text;
}

/**
 * What the delivery log says about a failed connection: a few fixed texts,
 * never the raw error (it names the host and port, and its variety would turn
 * the log into a port scanner).
 */
export const FAILURE_TEXT = {
  addressRefused: "Address not allowed: webhooks must reach a public address.",
  refused: "Connection refused.",
  dns: "Host not found (DNS).",
  reset: "The receiver closed the connection.",
  tls: "TLS error: the receiver's certificate was not accepted.",
  other: "The connection failed.",
} as const;

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string } } | null;
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `No answer within ${timeoutMs / 1000} s (timed out).`;
  if (isOutboundAddressError(e?.cause)) return FAILURE_TEXT.addressRefused;
  const code = e?.cause?.code ?? "";
  if (code === "ECONNREFUSED") return FAILURE_TEXT.refused;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return FAILURE_TEXT.dns;
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return `No answer within ${timeoutMs / 1000} s (timed out).`;
  if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET") return FAILURE_TEXT.reset;
  if (/CERT|SSL|TLS/i.test(code)) return FAILURE_TEXT.tls;
  return FAILURE_TEXT.other;
}

/**
 * POSTs one signed body. Never throws: every outcome is an AttemptResult.
 * Redirects are not followed (a 3xx is a failure naming the Location).
 */
export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number = DELIVERY_TIMEOUT_MS,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    // Connections go through the checked agents: every address is checked at connect time (DNS rebinding fails).
    const res = await outboundFetch()(url, { method: "POST", body, headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const responseBody = await readExcerpt(res, RESPONSE_EXCERPT_BYTES).catch(() => null);
    const ok = res.status >= 200 && res.status < 300;
    let error: string | null = null;
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      error = `Redirect (${res.status})${location ? ` to ${location.slice(0, 300)}` : ""} not followed: use the final URL.`;
    } else if (!ok) {
      error = `The receiver answered HTTP ${res.status}.`;
    }
    return { ok, statusCode: res.status, error, durationMs: elapsed(), responseBody };
  } catch (err) {
    const error = describeFetchError(err, timeoutMs);
    if (error === FAILURE_TEXT.other) logger.warn({ err }, "webhook connection failed");
    return { ok: false, statusCode: null, error, durationMs: elapsed(), responseBody: null };
  }
}

export type DeliveryTarget = { id: string; url: string; secretCiphertext: string; format: string };

const notSent = (error: string): AttemptResult => ({ ok: false, statusCode: null, error, durationMs: 0, responseBody: null });

async function sendSigned(webhook: DeliveryTarget, envelope: WebhookEnvelope): Promise<AttemptResult> {
  // The URL rule is checked again at send time: a server that no longer allows http:// stops using such URLs.
  const urlCheck = checkWebhookUrl(webhook.url, { allowInsecure: env().MODELPIN_ALLOW_INSECURE_WEBHOOKS });
  if (!urlCheck.ok) return notSent(`Not sent: ${urlCheck.message}`);
  let secret: string;
  try {
    secret = decryptSecret(webhook.secretCiphertext, encryptionKey());
  } catch (err) {
    // DecryptionError's message names the fix (the key changed), never the secret.
    return notSent(err instanceof Error ? err.message : "The signing secret could not be read.");
  }
  const body = renderWebhookBody(webhook.format as WebhookFormat, envelope);
  const headers = webhookRequestHeaders({ secret, eventType: envelope.type, deliveryId: envelope.id, body });
  return postWebhook(webhook.url, body, headers);
}

/** Signs and sends one envelope to one webhook, and writes the attempt to the delivery log. */
export async function deliverOnce(
  webhook: DeliveryTarget,
  envelope: WebhookEnvelope,
  log: { eventId: string | null; attempt: number; maxAttempts: number },
): Promise<AttemptResult> {
  const result = await sendSigned(webhook, envelope);
  const gaveUp = !result.ok && log.attempt >= log.maxAttempts && log.eventId !== null;
  const error = gaveUp ? `${result.error ?? "Failed."} Gave up after ${log.maxAttempts} attempt${log.maxAttempts === 1 ? "" : "s"}.` : result.error;
  await prisma.webhookDelivery.create({
    data: {
      webhookId: webhook.id,
      eventId: log.eventId,
      eventType: envelope.type,
      attempt: log.attempt,
      statusCode: result.statusCode,
      error,
      durationMs: result.durationMs,
      responseBody: result.responseBody,
    },
  });
  return { ...result, error };
}

export class WebhookAttemptFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookAttemptFailed";
  }
}

export type DeliveryJobData = { eventId: string; webhookId: string };

/**
 * The work of one pg-boss delivery job: loads the event and the webhook (as
 * they are now: a webhook deleted or switched off since is skipped), makes
 * one attempt and records it. Throws on failure so pg-boss retries with
 * backoff; the last attempt's log row says it gave up.
 */
export async function runDeliveryJob(data: DeliveryJobData, attempt: number, maxAttempts: number): Promise<"delivered" | "skipped"> {
  const [event, webhook] = await Promise.all([
    prisma.webhookEvent.findUnique({ where: { id: data.eventId }, select: { id: true, type: true, createdAt: true, payload: true } }),
    prisma.webhook.findUnique({ where: { id: data.webhookId }, select: { id: true, url: true, secretCiphertext: true, format: true, active: true } }),
  ]);
  if (!event || !webhook || !webhook.active) {
    logger.info({ eventId: data.eventId, webhookId: data.webhookId }, "webhook delivery skipped: the webhook was deleted or switched off");
    return "skipped";
  }
  const envelope: WebhookEnvelope = {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: (event.payload ?? {}) as Record<string, unknown>,
  };
  const result = await deliverOnce(webhook, envelope, { eventId: event.id, attempt, maxAttempts });
  const fields = { webhookId: webhook.id, eventId: event.id, eventType: event.type, attempt, maxAttempts, statusCode: result.statusCode, ms: result.durationMs };
  if (result.ok) {
    logger.info(fields, "webhook delivered");
    return "delivered";
  }
  logger.warn({ ...fields, error: result.error }, attempt >= maxAttempts ? "webhook delivery gave up" : "webhook delivery failed; will retry");
  throw new WebhookAttemptFailed(result.error ?? "delivery failed");
}
