import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures (pure; no database, no server-only, so a receiver can
 * copy `verifyWebhookSignature`). The scheme, documented in the README:
 *
 *   X-Modelpin-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * where <timestamp> is X-Modelpin-Timestamp (Unix seconds) and the key is the
 * secret string exactly as shown in Settings → Webhooks (UTF-8).
 */

export const WEBHOOK_HEADERS = {
  event: "X-Modelpin-Event",
  delivery: "X-Modelpin-Delivery",
  timestamp: "X-Modelpin-Timestamp",
  signature: "X-Modelpin-Signature",
} as const;

export const SIGNATURE_VERSION = "v1";
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new webhook secret: 32 random bytes, base64url, with a recognisable prefix. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** The string that is signed: "<timestamp>.<raw body>". */
export function signedContent(timestamp: number | string, body: string): string {
  return `${timestamp}.${body}`;
}

/** "v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>" */
export function computeSignature(secret: string, timestamp: number | string, body: string): string {
  return `${SIGNATURE_VERSION}=${createHmac("sha256", secret).update(signedContent(timestamp, body), "utf8").digest("hex")}`;
}

/** The headers of one delivery attempt (the body must be sent byte for byte as signed). */
export function webhookRequestHeaders(input: {
  secret: string;
  eventType: string;
  deliveryId: string;
  body: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
}): Record<string, string> {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    "Content-Type": "application/json",
    "User-Agent": "Modelpin-Webhooks/1",
    [WEBHOOK_HEADERS.event]: input.eventType,
    [WEBHOOK_HEADERS.delivery]: input.deliveryId,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: computeSignature(input.secret, timestamp, input.body),
  };
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : bag[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * For receivers: true when the body was signed with `secret` less than
 * `toleranceSeconds` ago (either way, for clock skew). `body` is the raw
 * request body as received, before any JSON parsing. `headers` is a Fetch
 * `Headers` or Node's `req.headers`. Several "v1=…" values separated by
 * commas are accepted (any one matching is enough).
 */
export function verifyWebhookSignature(
  secret: string,
  headers: HeaderBag,
  body: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): boolean {
  const ts = header(headers, WEBHOOK_HEADERS.timestamp);
  const sig = header(headers, WEBHOOK_HEADERS.signature);
  if (!ts || !sig || !/^\d{1,12}$/.test(ts)) return false;
  if (Math.abs(nowMs / 1000 - Number(ts)) > toleranceSeconds) return false;
  const expected = Buffer.from(computeSignature(secret, ts, body));
  return sig
    .split(",")
    .map((s) => Buffer.from(s.trim()))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
}
