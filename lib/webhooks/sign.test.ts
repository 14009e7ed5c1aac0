import { describe, expect, it } from "vitest";
import { WEBHOOK_HEADERS, computeSignature, generateWebhookSecret, verifyWebhookSignature, webhookRequestHeaders } from "./sign";

// Computed independently with:
//   printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac 'whsec_test-vector-secret'
const SECRET = "whsec_test-vector-secret";
const TS = 1_700_000_000;
const BODY = '{"id":"3f1c9a2e-0000-4000-8000-000000000001","type":"pin.changed","createdAt":"2023-11-14T22:13:20.000Z","data":{"x":1}}';
const EXPECTED = "v1=d62f26d35f40043b7f964e414c563856412230b088746f66496c1d80b70fc8b8";

const headersAt = (ts: number, body = BODY, secret = SECRET) =>
  webhookRequestHeaders({ secret, eventType: "pin.changed", deliveryId: "3f1c9a2e-0000-4000-8000-000000000001", body, timestamp: ts });

describe("webhook signatures", () => {
  it("matches a known HMAC-SHA256 vector over '<timestamp>.<body>'", () => {
    expect(computeSignature(SECRET, TS, BODY)).toBe(EXPECTED);
    const h = headersAt(TS);
    expect(h[WEBHOOK_HEADERS.signature]).toBe(EXPECTED);
    expect(h[WEBHOOK_HEADERS.timestamp]).toBe("1700000000");
    expect(h[WEBHOOK_HEADERS.event]).toBe("pin.changed");
    expect(h[WEBHOOK_HEADERS.delivery]).toBe("3f1c9a2e-0000-4000-8000-000000000001");
    expect(h["Content-Type"]).toBe("application/json");
  });

  it("verifies a fresh signature, from a plain header object (any case) or a Fetch Headers", () => {
    const h = headersAt(TS);
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyWebhookSignature(SECRET, h, BODY, 300, TS * 1000 + 5_000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, lower, BODY, 300, TS * 1000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, new Headers(h), BODY, 300, TS * 1000)).toBe(true);
  });

  it("fails for a tampered body, a wrong secret, or a tampered timestamp", () => {
    const h = headersAt(TS);
    const now = TS * 1000;
    expect(verifyWebhookSignature(SECRET, h, BODY.replace('"x":1', '"x":2'), 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, h, `${BODY} `, 300, now)).toBe(false);
    expect(verifyWebhookSignature("whsec_other", h, BODY, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...h, [WEBHOOK_HEADERS.timestamp]: String(TS + 1) }, BODY, 300, now)).toBe(false);
  });

  it("fails for an old (or far-future) timestamp even with a valid signature", () => {
    const h = headersAt(TS);
    expect(verifyWebhookSignature(SECRET, h, BODY, 300, (TS + 301) * 1000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, h, BODY, 300, (TS - 301) * 1000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, h, BODY, 300, (TS + 299) * 1000)).toBe(true);
  });

  it("fails when headers are missing or malformed, and accepts any one of several signatures", () => {
    const h = headersAt(TS);
    const now = TS * 1000;
    expect(verifyWebhookSignature(SECRET, {}, BODY, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...h, [WEBHOOK_HEADERS.signature]: "v1=abc" }, BODY, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...h, [WEBHOOK_HEADERS.timestamp]: "yesterday" }, BODY, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...h, [WEBHOOK_HEADERS.signature]: `v1=${"0".repeat(64)}, ${EXPECTED}` }, BODY, 300, now)).toBe(true);
  });

  it("generates distinct 32-byte secrets", () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(6), "base64url")).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});
