import { describe, expect, it } from "vitest";
import { summarizeChange, targetLink } from "./describe";

describe("audit row summaries", () => {
  it("describes pin changes from → to with nicknames, ids and versions", () => {
    expect(
      summarizeChange({
        action: "pin.rolled_back",
        before: { version: 2, modelId: "model_b", nickname: "Beta" },
        after: { version: 3, modelId: "model_a", nickname: "Alpha", kind: "rollback", restoredVersion: 1 },
      }),
    ).toBe("Beta (model_b) v2 → Alpha (model_a) v3 (restores v1)");
    expect(summarizeChange({ action: "pin.break_glass", before: { version: 0, modelId: null }, after: { version: 1, modelId: "model_a", nickname: "", kind: "pin" } })).toBe(
      "pin: latest v0 → model_a v1",
    );
  });

  it("lists the fields that changed, and falls back to the new values", () => {
    expect(summarizeChange({ action: "environment.updated", before: { name: "QA", approvalsRequired: 0 }, after: { name: "QA", approvalsRequired: 3 } })).toBe(
      "QA: approvalsRequired: 0 → 3",
    );
    expect(summarizeChange({ action: "member.created", before: null, after: { email: "a@b.c", role: "viewer" } })).toBe("Added a@b.c as viewer");
    expect(summarizeChange({ action: "model.checked", before: null, after: { modelId: "m", result: { labelName: "Cat", confidence: 0.912 } } })).toBe("Checked m → Cat (91.2%)");
    expect(summarizeChange({ action: "model.retired", before: null, after: { modelId: "m", nickname: "Old", retiredAt: "2026-12-04T00:00:00Z" } })).toBe("Old (m) retired");
    expect(summarizeChange({ action: "model.restored", before: null, after: { modelId: "m", nickname: "", retiredAt: null } })).toBe("m restored");
  });

  it("links every kind of target, within what the role may open", () => {
    const viewer = { canManageEnvironments: false, canManageMembers: false, canManageNyckel: false, functionName: "Pets" };
    expect(targetLink({ targetType: "pin", targetId: "x", functionId: "function_a" }, viewer)).toEqual({ href: "/functions/function_a#timeline", label: "pin of Pets" });
    expect(targetLink({ targetType: "model", targetId: "x", functionId: "function_a" }, viewer)?.href).toBe("/functions/function_a#models");
    expect(targetLink({ targetType: "member", targetId: "u1", functionId: null }, viewer)?.href).toBe("/audit?actor=u1");
    expect(targetLink({ targetType: "member", targetId: "u1", functionId: null }, { ...viewer, canManageMembers: true })?.href).toBe("/settings/members");
    expect(targetLink({ targetType: "environment", targetId: "e", functionId: null }, viewer)?.href).toBe("/");
    expect(targetLink({ targetType: null, targetId: null, functionId: null }, viewer)).toBeNull();
    expect(targetLink({ targetType: "webhook", targetId: "w1", functionId: null }, viewer)).toBeNull();
    expect(targetLink({ targetType: "webhook", targetId: "w1", functionId: null }, { ...viewer, canManageWebhooks: true })?.href).toBe("/settings/webhooks/w1");
    expect(targetLink({ targetType: "api_token", targetId: "t1", functionId: null }, viewer)).toBeNull();
    expect(targetLink({ targetType: "api_token", targetId: "t1", functionId: null }, { ...viewer, canManageTokens: true })?.href).toBe("/settings/tokens");
    expect(targetLink({ targetType: "promotion_request", targetId: "r1", functionId: "function_a" }, viewer)?.href).toBe("/promotions/r1");
    expect(targetLink({ targetType: "promotion_request", targetId: "r1", functionId: "function_a", action: "request.approved", after: { request: "#12" } }, viewer)?.label).toBe(
      "request #12",
    );
    expect(targetLink({ targetType: "comparison_run", targetId: "c1", functionId: "function_a" }, viewer)?.href).toBe("/comparisons/c1");
    // Shadow evaluation: a shadow's events and its frozen snapshots lead to its report.
    expect(targetLink({ targetType: "shadow", targetId: "s1", functionId: "function_a" }, viewer)).toEqual({ href: "/functions/function_a/shadows/s1", label: "shadow report" });
    expect(targetLink({ targetType: "shadow_snapshot", targetId: "snap1", functionId: "function_a", after: { shadowId: "s1" } }, viewer)?.href).toBe("/functions/function_a/shadows/s1");
    expect(targetLink({ targetType: "shadow_snapshot", targetId: "snap1", functionId: "function_a", after: {} }, viewer)).toBeNull();
  });
});
