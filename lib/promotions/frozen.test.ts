import { describe, expect, it } from "vitest";
import { frozenHash, frozenMismatch, type FrozenFields } from "./frozen";

const request: FrozenFields = {
  id: "0b6e7c1e-1d7a-4c59-9a51-0f3a7b2f1c11",
  number: 12,
  functionId: "function_abc",
  environmentId: "5d0f7c0e-7a55-4a9e-8c43-5d1c2b7e9a01",
  targetModelRefId: "8a1f1b9e-2c3d-4e5f-9a0b-1c2d3e4f5a6b",
  targetModelId: "model_new",
  baseVersion: 3,
  baseModelId: "model_old",
  reason: "Better on refunds",
  evidenceRunId: null,
  evidenceSummaryText: null,
  evidenceHash: null,
  policyText: '{"protected": true, "approvalsRequired": 2}',
  approvalsRequired: 2,
  requestedById: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
  requestedByLabel: "ann@example.com",
  createdAt: new Date("2026-12-07T10:00:00.123Z"),
  expiresAt: null,
};

describe("the frozen hash of a promotion request", () => {
  it("is SHA-256 hex and stable", () => {
    expect(frozenHash(request)).toMatch(/^[0-9a-f]{64}$/);
    expect(frozenHash({ ...request })).toBe(frozenHash(request));
    expect(frozenMismatch({ ...request, requestHash: frozenHash(request) })).toBeNull();
  });

  it("changes with every field", () => {
    const changes: Partial<FrozenFields>[] = [
      { number: 13 },
      { functionId: "function_abd" },
      { environmentId: "5d0f7c0e-7a55-4a9e-8c43-5d1c2b7e9a02" },
      { targetModelRefId: null },
      { targetModelId: "model_other" },
      { baseVersion: 4 },
      { baseModelId: null },
      { reason: "Better on refunds." },
      { evidenceRunId: "0b6e7c1e-1d7a-4c59-9a51-0f3a7b2f1c12" },
      { evidenceSummaryText: "{}" },
      { evidenceHash: "00" },
      { policyText: '{"protected": true, "approvalsRequired": 0}' },
      { approvalsRequired: 0 },
      { requestedById: null },
      { requestedByLabel: "bob@example.com" },
      { createdAt: new Date("2026-12-07T10:00:00.124Z") },
      { expiresAt: new Date("2026-12-08T10:00:00.123Z") },
    ];
    const hashes = new Set(changes.map((c) => frozenHash({ ...request, ...c })));
    expect(hashes.size).toBe(changes.length);
    expect(hashes.has(frozenHash(request))).toBe(false);
  });

  it("cannot be matched by moving text between fields, and tells null from empty", () => {
    const a = frozenHash({ ...request, targetModelId: "model_new\n9:model_old", baseModelId: null });
    const b = frozenHash({ ...request, targetModelId: "model_new", baseModelId: "model_old" });
    expect(a).not.toBe(b);
    expect(frozenHash({ ...request, baseModelId: "" })).not.toBe(frozenHash({ ...request, baseModelId: null }));
    expect(frozenHash({ ...request, reason: "~" })).not.toBe(frozenHash({ ...request, reason: "" }));
  });

  it("reports both hashes on a mismatch", () => {
    expect(frozenMismatch({ ...request, requestHash: "0".repeat(64) })).toEqual({ stored: "0".repeat(64), actual: frozenHash(request) });
  });
});
