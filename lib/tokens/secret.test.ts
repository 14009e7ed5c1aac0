import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateToken, hashToken, isWellFormedToken, parseBearer, tokenDisplayPrefix, TOKEN_PATTERN } from "./secret";

describe("API token format", () => {
  it("is mp_ + 43 base64url characters (32 random bytes), different every time", () => {
    const tokens = Array.from({ length: 200 }, generateToken);
    for (const t of tokens) {
      expect(t).toMatch(TOKEN_PATTERN);
      expect(t).toHaveLength(46);
      expect(Buffer.from(t.slice(3), "base64url")).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(200);
  });

  it("hashes to the SHA-256 hex of the whole token; the display prefix is its first 10 characters", () => {
    const t = generateToken();
    expect(hashToken(t)).toBe(createHash("sha256").update(t).digest("hex"));
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toBe(hashToken(`${t.slice(0, -1)}${t.endsWith("A") ? "B" : "A"}`));
    expect(tokenDisplayPrefix(t)).toBe(t.slice(0, 10));
    expect(tokenDisplayPrefix(t).startsWith("mp_")).toBe(true);
  });

  it("rejects anything that is not exactly a token", () => {
    const t = generateToken();
    for (const bad of ["", "mp_", t.slice(0, -1), `${t}A`, `MP_${t.slice(3)}`, `mp_${"a".repeat(42)}=`, `mp_${"a".repeat(42)}+`, ` ${t}`]) {
      expect(isWellFormedToken(bad), bad).toBe(false);
    }
    expect(isWellFormedToken(t)).toBe(true);
  });
});

describe("parseBearer", () => {
  const t = generateToken();
  it("reads `Bearer <token>` with any scheme case and surrounding spaces", () => {
    expect(parseBearer(`Bearer ${t}`)).toEqual({ kind: "token", token: t });
    expect(parseBearer(`bearer   ${t}  `)).toEqual({ kind: "token", token: t });
    expect(parseBearer(`BEARER ${t}`)).toEqual({ kind: "token", token: t });
  });

  it("tells missing from malformed", () => {
    expect(parseBearer(null)).toEqual({ kind: "missing" });
    expect(parseBearer("   ")).toEqual({ kind: "missing" });
    for (const bad of ["Bearer", `Basic ${t}`, `Bearer ${t} extra`, `Bearer${t}`, "Bearer abc", `Token ${t}`]) {
      expect(parseBearer(bad).kind, bad).toBe("malformed");
    }
    expect(parseBearer("Bearer abc")).toMatchObject({ reason: expect.stringContaining("start with `mp_`") });
  });
});
