import { describe, expect, it } from "vitest";
import { GENESIS_HASH } from "./hash";
import { EMPTY_HEAD, deriveAuditKey, headMessage, headSignatureOk, signHead } from "./head";
import { outsideCheckpointSchema } from "./schemas";

const key = deriveAuditKey(Buffer.alloc(32, 1));
const head = { count: 42n, lastId: 1042n, lastHash: "ab".repeat(32) };

describe("the audit head's signature", () => {
  it("holds for the head it signed, under the key that signed it", () => {
    const hmac = signHead(head, key);
    expect(hmac).toMatch(/^[0-9a-f]{64}$/);
    expect(headSignatureOk(head, hmac, key)).toBe(true);
  });

  it("fails for any other count, newest id or hash, another key, or a malformed value", () => {
    const hmac = signHead(head, key);
    expect(headSignatureOk({ ...head, count: 41n }, hmac, key)).toBe(false);
    expect(headSignatureOk({ ...head, lastId: 1041n }, hmac, key)).toBe(false);
    expect(headSignatureOk({ ...head, lastHash: "cd".repeat(32) }, hmac, key)).toBe(false);
    expect(headSignatureOk(head, hmac, deriveAuditKey(Buffer.alloc(32, 2)))).toBe(false);
    expect(headSignatureOk(head, null, key)).toBe(false);
    expect(headSignatureOk(head, hmac.toUpperCase(), key)).toBe(false);
    expect(headSignatureOk(head, hmac.slice(2), key)).toBe(false);
  });

  it("derives a key of its own: not the encryption key itself", () => {
    const raw = Buffer.alloc(32, 1);
    expect(key).toHaveLength(32);
    expect(key.equals(raw)).toBe(false);
    expect(headMessage(EMPTY_HEAD)).toBe(`modelpin/audit-head/v1\n0\n-\n${GENESIS_HASH}`);
  });

  it("reads a checkpoint held outside from the webhook envelope or its data, and refuses anything else", () => {
    const data = { kind: "scheduled", count: 42, lastEventId: "1042", lastHash: head.lastHash, hmac: signHead(head, key), at: "2026-12-07T10:00:00.000Z", reason: null, checkpointId: "3" };
    const fromEnvelope = outsideCheckpointSchema.parse({ id: "e1", type: "audit.checkpoint", createdAt: data.at, data });
    expect(fromEnvelope).toMatchObject({ count: 42n, lastId: 1042n, lastHash: head.lastHash, source: "outside" });
    expect(headSignatureOk(fromEnvelope, fromEnvelope.hmac, key)).toBe(true);
    expect(outsideCheckpointSchema.parse(data).at.toISOString()).toBe(data.at);
    expect(outsideCheckpointSchema.safeParse({ type: "pin.changed", data }).success).toBe(false);
    expect(outsideCheckpointSchema.safeParse({ ...data, lastHash: "nope" }).success).toBe(false);
  });
});
