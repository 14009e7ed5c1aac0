import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "@/lib/audit/catalog";
import { summarizeChange, requestNumber } from "./describe";
import { SUMMARIES } from "./summaries";

/** A realistic after/before per action, as the services write them. */
const SAMPLES: Record<string, { before?: unknown; after?: unknown; environmentName?: string; expected: string }> = {
  "pin.pinned": {
    before: { version: 0, modelId: null, nickname: null },
    after: { version: 1, modelId: "model_a", nickname: "Alpha", kind: "pin", breakGlass: false, promotionRequest: { id: "r", number: 12 } },
    expected: "latest v0 → Alpha (model_a) v1, by request #12",
  },
  "pin.unpinned": { before: { version: 1, modelId: "model_a", nickname: "" }, after: { version: 2, modelId: null, kind: "unpin" }, expected: "model_a v1 → latest v2" },
  "pin.rolled_back": { before: { version: 3, modelId: "model_b" }, after: { version: 4, modelId: "model_a", kind: "rollback", restoredVersion: 1 }, expected: "model_b v3 → model_a v4 (restores v1)" },
  "pin.break_glass": { before: { version: 1, modelId: "model_b" }, after: { version: 2, modelId: "model_a", kind: "pin", breakGlass: true }, expected: "pin: model_b v1 → model_a v2" },
  "model.registered": { after: { modelId: "model_a", nickname: "Alpha", notes: "" }, expected: "Registered model_a as “Alpha”" },
  "model.updated": { before: { modelId: "model_a", nickname: "Alpha", notes: "" }, after: { modelId: "model_a", nickname: "Alpha 2", notes: "" }, expected: "Alpha (model_a): nickname: Alpha → Alpha 2" },
  "model.retired": { after: { modelId: "model_a", nickname: "", retiredAt: "2026-01-01T00:00:00Z" }, expected: "model_a retired" },
  "model.restored": { after: { modelId: "model_a", nickname: "A", retiredAt: null }, expected: "A (model_a) restored" },
  "model.checked": { after: { modelId: "model_a", nickname: "", sample: { kind: "text" }, result: { error: "timeout" } }, expected: "Checked model_a → error: timeout" },
  "model.discovered": { after: { modelId: "model_n", discovered: true }, expected: "Found model_n (Nyckel's current model)" },
  "functions.synced": { after: { added: ["Pets"], updated: [], removed: [], unchanged: 2, discoveredModels: ["m"], labelsChanged: [] }, expected: "Synced functions from Nyckel (added: 1, unchanged: 2, models found: 1)" },
  "environment.created": { after: { id: "e", slug: "qa", name: "QA", approvalsRequired: 2 }, expected: "Created “QA”; policy: 2 approvals" },
  "environment.updated": { before: { name: "QA", protected: false }, after: { name: "QA", protected: true }, expected: "QA: protected: false → true" },
  "member.created": { after: { email: "a@b.c", name: "A", role: "editor", via: "sso" }, expected: "Added a@b.c as editor (via SSO)" },
  "member.role_changed": { before: { role: "viewer" }, after: { role: "admin" }, expected: "Role viewer → admin" },
  "member.deactivated": { before: { active: true }, after: { active: false }, expected: "Deactivated; sessions ended" },
  "member.reactivated": { after: { active: true, email: "a@b.c" }, expected: "Reactivated (a@b.c)" },
  "member.sso_linked": { after: { email: "a@b.c", emailVerified: true }, expected: "Linked to single sign-on (a@b.c)" },
  "member.password_changed": { after: { otherSessionsEnded: true }, expected: "Changed own password; other sessions ended" },
  "member.password_reset": { after: { oneTimePassword: true }, expected: "Set a one-time password; it must be changed at next sign-in" },
  "auth.throttled": { after: { rule: "account", email: "a@b.c", failures: 10, windowMinutes: 15, refusedForMinutes: 15 }, expected: "10 failed sign-ins for a@b.c: refused for 15 min" },
  "nyckel.credentials_changed": { before: null, after: { baseUrl: "u", clientId: "cid", secret: "set" }, expected: "Nyckel credentials set (client cid); secret set" },
  "nyckel.connection_tested": { after: { result: "ok", functionCount: 3 }, expected: "Connection OK: 3 functions visible" },
  "comparison.started": { after: { sampleSet: "Pets", samples: 50, modelA: "A", modelB: "B" }, expected: "Started A vs B on “Pets” (50 samples)" },
  "comparison.finished": { after: { modelA: "A", modelB: "B", samples: 50, bothAnswered: 48, agreement: 0.9 }, expected: "A vs B: agree on 90.0% of 48 samples" },
  "comparison.cancelled": { before: { status: "running" }, after: { status: "cancelling" }, expected: "Cancelled the comparison" },
  "comparison.failed": { before: { status: "running" }, after: { status: "failed", error: "Nyckel is down" }, expected: "The comparison failed: Nyckel is down" },
  "comparison.quick": { after: { modelA: "A", modelB: "B", agree: true }, expected: "Quick compare A vs B: same answer" },
  "request.opened": {
    environmentName: "Production",
    after: {
      request: "#12",
      status: "pending",
      target: { modelId: "model_c", nickname: "Candidate" },
      base: { version: 3, modelId: null, nickname: null },
      evidence: null,
      policy: { approvalsRequired: 2, rejectionBlocks: true },
    },
    expected: "Requested Production → Candidate (model_c), based on v3 (latest); policy: 2 approvals",
  },
  "request.approved": { after: { request: "#12", decision: "approve", approvals: 1, approvalsRequired: 2 }, expected: "Approved request #12 (1 of 2)" },
  "request.rejected": { after: { request: "#12", decision: "reject", blocking: true }, expected: "Rejected request #12; it is closed" },
  "request.cancelled": { after: { request: "#12", status: "cancelled", byRequester: true }, expected: "Cancelled request #12 (by the requester)" },
  "request.applied": {
    environmentName: "Production",
    before: { status: "pending", pinVersion: 3 },
    after: { request: "#12", status: "applied", pinVersion: 4, modelId: "model_c" },
    expected: "Applied request #12: Production pin v3 → v4 (model_c)",
  },
  "request.stale": { after: { request: "#12", status: "stale", baseVersion: 3, currentVersion: 4 }, expected: "request #12 is stale: the pin moved from v3 to v4" },
  "request.expired": { after: { request: "#12", status: "expired", approvals: 1 }, expected: "request #12 expired with 1 approval(s)" },
  "request.integrity_failed": { after: { request: "#12", decision: "approve", refused: true }, expected: "Refused to approve request #12: its stored hash no longer matches" },
  "webhook.created": { after: { name: "Ops", url: "https://h.example/…", events: ["request.opened"], secret: "generated" }, expected: "Added “Ops” → https://h.example/…" },
  "webhook.updated": { before: { name: "Ops", active: true }, after: { name: "Ops", active: false }, expected: "“Ops”: active: true → false" },
  "webhook.deleted": { before: { name: "Ops" }, expected: "Deleted “Ops”" },
  "webhook.secret_revealed": { after: { name: "Ops" }, expected: "Revealed the signing secret of “Ops”" },
  "token.created": { after: { name: "CI", environment: "production", prefix: "mp_", expiresAt: null }, expected: "Created token “CI” for production, no expiry" },
  "token.revoked": { before: { name: "CI", revokedAt: null }, after: { name: "CI", revokedAt: "2026-01-01T00:00:00Z" }, expected: "Revoked token “CI”" },
  "sample_set.created": { after: { name: "Pets", samples: 50, labeled: 40 }, expected: "Uploaded “Pets” (50 samples, 40 labelled)" },
  "sample_set.renamed": { before: { name: "Pets" }, after: { name: "Pets v2" }, expected: "Renamed “Pets” → “Pets v2”" },
  "sample_set.deleted": { before: { name: "Pets" }, expected: "Deleted “Pets”" },
  "function.golden_set_changed": {
    before: { goldenSampleSet: null },
    after: { goldenSampleSet: { id: "s1", name: "Golden tickets" } },
    expected: "Golden set: none → “Golden tickets”",
  },
  "drift.candidate_opened": {
    environmentName: "Staging",
    after: { evaluationId: "e", runId: "r", candidate: { modelId: "model_b" }, base: { version: 3, modelId: "model_a" }, request: "#12" },
    expected: "Opened #12: Staging → model_b (pin: model_a); the reason is the verdict",
  },
  "drift.rejected": {
    environmentName: "Staging",
    after: { evaluationId: "e", runId: "r", candidate: { modelId: "model_b" }, base: { version: 3, modelId: null } },
    expected: "Rejected model_b for Staging (pin: latest); the reason says why",
  },
  "drift.awaiting_model_id": {
    environmentName: "Staging",
    after: { candidate: { modelId: null }, base: { version: 3, modelId: "model_a" } },
    expected: "Latest passes against the pin of Staging; its model id must be registered before it can be requested",
  },
  "drift.failed": { environmentName: "Staging", after: { candidate: { modelId: "model_b" } }, expected: "The evaluation of model_b for Staging failed; the reason says why" },
  "shadow.started": {
    environmentName: "Production",
    after: { shadowId: "s", candidate: "model_b", candidateLabel: "Beta (model_b)", sharePct: 20, maxPerSecond: 5, endsAt: "2026-12-14T10:00:00.000Z", keepInputs: true },
    expected: "Started shadowing 20% of Production's traffic to Beta (model_b) until 2026-12-14T10:00:00.000Z, keeping disagreeing inputs",
  },
  "shadow.changed": {
    environmentName: "Production",
    before: { sharePct: 20, maxPerSecond: 5, endsAt: "a", keepInputs: false },
    after: { sharePct: 50, maxPerSecond: 5, endsAt: "a", keepInputs: false },
    expected: "Changed the shadow of Production: sharePct 20 → 50",
  },
  "shadow.stopped": { environmentName: "Production", after: { candidate: "model_b", candidateLabel: "Beta (model_b)" }, expected: "Stopped shadowing Production's traffic to Beta (model_b)" },
  "shadow.frozen": { after: { mirrored: 120, agreement: { rate: 0.95 } }, expected: "Froze a shadow evaluation as evidence: 120 mirrored requests, agreement 95.0%" },
  "audit.anchored": { after: { signed: true }, expected: "Signed the head of the audit chain" },
  "audit.reanchored": { before: { head: { id: "1" } }, after: { head: { id: "2" } }, expected: "Re-anchored the audit chain to its current head" },
};

describe("audit summaries", () => {
  it("has a plain-language summary for every action in the catalog", () => {
    const missing = AUDIT_ACTIONS.map((a) => a.action).filter((action) => !SUMMARIES[action]);
    expect(missing).toEqual([]);
  });

  it.each(AUDIT_ACTIONS.map((a) => a.action))("%s reads as a sentence without JSON", (action) => {
    const sample = SAMPLES[action];
    expect(sample, `add a sample for ${action}`).toBeDefined();
    const text = summarizeChange({ action, before: sample!.before ?? null, after: sample!.after ?? null }, sample!.environmentName);
    expect(text).toBe(sample!.expected);
    expect(text).not.toMatch(/[{}[\]]|"/);
  });

  it("falls back to changed fields for actions it does not know", () => {
    expect(summarizeChange({ action: "future.thing", before: { a: 1, b: { x: 1 } }, after: { a: 2, b: { x: 2 } } })).toBe("a: 1 → 2; b: … → …");
  });

  it("finds the request number of request events and of pins a request moved", () => {
    expect(requestNumber({ action: "request.opened", after: { request: "#7" } })).toBe("#7");
    expect(requestNumber({ action: "pin.pinned", after: { promotionRequest: { id: "r", number: 9 } } })).toBe("#9");
    expect(requestNumber({ action: "pin.pinned", after: { version: 1 } })).toBeNull();
  });
});
