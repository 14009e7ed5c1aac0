import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecryptionError, decryptSecret, encryptSecret } from "./secret-box";

describe("secret box (AES-256-GCM)", () => {
  const key = randomBytes(32);

  it("round-trips and never contains the plaintext", () => {
    const blob = encryptSecret("s3cr3t-value", key);
    expect(blob).not.toContain("s3cr3t");
    expect(blob.startsWith("v1.")).toBe(true);
    expect(decryptSecret(blob, key)).toBe("s3cr3t-value");
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret("same", key)).not.toBe(encryptSecret("same", key));
  });

  it("refuses a wrong key and a tampered ciphertext", () => {
    const blob = encryptSecret("value", key);
    expect(() => decryptSecret(blob, randomBytes(32))).toThrow(DecryptionError);
    const parts = blob.split(".");
    const ct = Buffer.from(parts[3]!, "base64url");
    ct[0] = ct[0]! ^ 1;
    parts[3] = ct.toString("base64url");
    expect(() => decryptSecret(parts.join("."), key)).toThrow(DecryptionError);
    expect(() => decryptSecret("garbage", key)).toThrow(DecryptionError);
  });
});
