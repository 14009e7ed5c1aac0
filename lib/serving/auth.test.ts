import { describe, expect, it } from "vitest";
import { generateToken, hashToken } from "@/lib/tokens/secret";
import { authenticateToken, missingScope } from "./auth";
import type { EnvironmentEntry, ServingSnapshot, TokenEntry } from "./cache";

const env: EnvironmentEntry = { id: "e1", slug: "production", name: "Production", allowCallerModelOverride: false, createdAt: new Date(0) };
const now = Date.parse("2026-05-01T12:00:00Z");
const rw: ReadonlySet<string> = new Set(["read", "invoke"]);

function snapshotWith(entries: Array<[string, TokenEntry]>): ServingSnapshot {
  return {
    generation: 1,
    loadedAt: now,
    tokens: new Map(entries.map(([token, entry]) => [hashToken(token), entry])),
    content: {
      environmentsBySlug: new Map([[env.slug, env]]),
      environmentsById: new Map([[env.id, env]]),
      pins: new Map(),
      functions: [],
      functionIds: new Set(),
    },
  };
}

describe("authenticateToken", () => {
  const [active, revoked, expired, expiresLater, orphan] = Array.from({ length: 5 }, generateToken) as [string, string, string, string, string];
  const snapshot = snapshotWith([
    [active, { id: "t1", name: "n", environmentId: "e1", expiresAt: null, revokedAt: null, scopes: rw }],
    [revoked, { id: "t2", name: "n", environmentId: "e1", expiresAt: null, revokedAt: now - 1, scopes: rw }],
    [expired, { id: "t3", name: "n", environmentId: "e1", expiresAt: now, revokedAt: null, scopes: rw }],
    [expiresLater, { id: "t4", name: "n", environmentId: "e1", expiresAt: now + 1, revokedAt: null, scopes: rw }],
    [orphan, { id: "t5", name: "n", environmentId: "gone", expiresAt: null, revokedAt: null, scopes: rw }],
  ]);
  const check = (header: string | null) => authenticateToken(snapshot, header, now);

  it("accepts an active token and names its environment", () => {
    expect(check(`Bearer ${active}`)).toMatchObject({ ok: true, token: { id: "t1" }, environment: { slug: "production" } });
    expect(check(`Bearer ${expiresLater}`)).toMatchObject({ ok: true, token: { id: "t4" } });
  });

  it("gives each failure its own code", () => {
    expect(check(null)).toMatchObject({ ok: false, code: "token_missing" });
    expect(check("Basic abc")).toMatchObject({ ok: false, code: "token_malformed" });
    expect(check(`Bearer ${generateToken()}`)).toMatchObject({ ok: false, code: "token_invalid" });
    expect(check(`Bearer ${orphan}`)).toMatchObject({ ok: false, code: "token_invalid" });
    expect(check(`Bearer ${revoked}`)).toMatchObject({ ok: false, code: "token_revoked" });
    expect(check(`Bearer ${expired}`)).toMatchObject({ ok: false, code: "token_expired", message: expect.stringContaining("2026-05-01T12:00:00.000Z") });
  });
});

describe("missingScope", () => {
  it("names the missing scope and what the token has, or null when the token has it", () => {
    const token = { id: "t", name: "ci", environmentId: "e1", expiresAt: null, revokedAt: null, scopes: new Set(["read", "evaluate"]) };
    expect(missingScope(token, "read")).toBeNull();
    expect(missingScope(token, "evaluate")).toBeNull();
    const refusal = missingScope(token, "invoke");
    expect(refusal).toEqual({ code: "scope_missing", scope: "invoke", message: expect.stringContaining("the scope `invoke`") });
    expect(refusal!.message).toContain("It has read, evaluate.");
  });
});
