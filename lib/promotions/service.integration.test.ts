import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { canonicalJson } from "@/lib/audit/hash";
import { ownerClient, tamperAndCommit } from "@/scripts/testing/audit-tamper";
import { verifyAuditChain } from "@/lib/audit/verify";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { QUEUES, getBoss, stopBoss } from "@/lib/jobs/boss";
import { registerModel, retireModel } from "@/lib/models/service";
import { applyPinChange, setPin } from "@/lib/pins/service";
import { promotionApproval } from "@/lib/promotions/approval";
import { parseTextLines } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { wilsonInterval } from "@/lib/compare/stats";
import { pairedDifference } from "@/lib/compare/stats-paired";
import { countWaitingForMe, listRequests } from "./queries";
import { tamperedMessage } from "./frozen";
import { approveRequest, cancelRequest, createRequest, expireDueRequests, rejectRequest, type RequestOutcome } from "./service";
import { PROMOTION_EXPIRY_CRON, startPromotionExpiryWorker } from "./worker";

const sys = systemContext("test");
const owner = ownerClient();

/**
 * Moves a request's expiry into the past as the database owner (the trigger
 * refuses it otherwise), recomputing its frozen hash with the migration's SQL
 * definition, as if the request had been made that long ago.
 */
async function backdateExpiry(requestId: string) {
  await tamperAndCommit(owner, ["promotion_requests"], async (tx) => {
    await tx.$executeRaw`UPDATE promotion_requests SET expires_at = now() - interval '1 second' WHERE id = ${requestId}::uuid`;
    await tx.$executeRaw`UPDATE promotion_requests r SET request_hash = promotion_request_frozen_hash(r) WHERE id = ${requestId}::uuid`;
  });
}
const tag = () => randomBytes(4).toString("hex");
type Role = "viewer" | "editor" | "approver" | "admin";

function as(user: { id: string; role: Role; email: string }): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId: `test-${tag()}` };
}

/** Members straight in the table (no bcrypt): the service only needs their id and role. */
async function member(role: Role, name: string = role): Promise<ServiceContext> {
  const email = `promo-${name}-${tag()}@example.com`;
  const u = await prisma.user.create({ data: { email, name: `${name} ${tag()}`, role }, select: { id: true, role: true, email: true } });
  return as(u);
}

let editor: ServiceContext;
let approver1: ServiceContext;
let approver2: ServiceContext;
let approver3: ServiceContext;
let admin: ServiceContext;
let viewer: ServiceContext;

type PolicyInput = {
  protected?: boolean;
  approvalsRequired: number;
  rejectionBlocks?: boolean;
  requestExpiryHours?: number | null;
  minAgreementPct?: number | null;
  minAnsweredSamples?: number;
  maxErrorPct?: number;
  gateLowerBound?: boolean;
};

async function newEnvironment(p: PolicyInput) {
  const t = tag();
  const env = await createEnvironment(sys, {
    slug: `promo-${t}`,
    name: `Promo ${t}`,
    sortOrder: 50,
    protected: p.protected ?? true,
    approvalsRequired: p.approvalsRequired,
    rejectionBlocks: p.rejectionBlocks ?? true,
    requestExpiryHours: p.requestExpiryHours ?? null,
    minAgreementPct: p.minAgreementPct ?? null,
    ...(p.minAnsweredSamples === undefined ? {} : { minAnsweredSamples: p.minAnsweredSamples }),
    ...(p.maxErrorPct === undefined ? {} : { maxErrorPct: p.maxErrorPct }),
    ...(p.gateLowerBound === undefined ? {} : { gateLowerBound: p.gateLowerBound }),
  });
  return env.id;
}

async function newFunction() {
  const id = `function_promo${tag()}${tag()}`;
  await prisma.nyckelFunction.create({ data: { id, name: `Promo fn ${id.slice(-6)}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
  return id;
}

async function newModel(functionId: string, nickname: string) {
  return registerModel(editor, { functionId, modelId: `model_${tag()}${tag()}`, nickname, notes: "" });
}

async function pinState(environmentId: string, functionId: string) {
  return prisma.pin.findUnique({ where: { environmentId_functionId: { environmentId, functionId } }, select: { version: true, modelRefId: true } });
}

/** Puts a protected environment on a model (admin break-glass), returning the new version. */
async function breakGlass(environmentId: string, functionId: string, modelRefId: string, reason = "set up the base pin") {
  const v = (await pinState(environmentId, functionId))?.version ?? 0;
  const change = await setPin(admin, { environmentId, functionId, modelRefId, expectedVersion: v, reason, kind: "pin", breakGlass: true });
  return change.after.version;
}

/** A world: a function with three models, and an environment of the given policy pinned to `base` (or latest). */
async function world(policy: PolicyInput, options: { pinBase?: boolean } = { pinBase: true }) {
  const fn = await newFunction();
  const [base, target, other] = [await newModel(fn, "Base"), await newModel(fn, "Target"), await newModel(fn, "Other")];
  const env = await newEnvironment(policy);
  if (options.pinBase !== false) await breakGlassOrPin(env, fn, base.id, policy.protected ?? true);
  return { fn, env, base, target, other };
}

async function breakGlassOrPin(env: string, fn: string, modelRefId: string, isProtected: boolean) {
  if (isProtected) return breakGlass(env, fn, modelRefId);
  const v = (await pinState(env, fn))?.version ?? 0;
  return (await setPin(editor, { environmentId: env, functionId: fn, modelRefId, expectedVersion: v, reason: "base", kind: "pin" })).after.version;
}

/**
 * A finished comparison run written straight to the database: `n` text
 * samples, both sides answered, the first `agree` with the same label.
 */
async function comparisonRun(
  functionId: string,
  modelA: string | null,
  modelB: string | null,
  o: { agree: number; n?: number; failed?: number; status?: string; finishedAgoMs?: number; truth?: boolean },
) {
  const n = o.n ?? 10;
  const lines = Array.from({ length: n }, (_, i) => `sample ${i} ${tag()}`).join("\n");
  const set = await createSampleSet(sys, { functionId, name: `evidence-${tag()}`, result: parseTextLines(lines, { inputKind: "text" }) });
  const samples = await prisma.sample.findMany({ where: { sampleSetId: set.id }, orderBy: { position: "asc" }, select: { id: true } });
  // Ground truth: what B says (A says "Yes" throughout, so A is wrong where B says "No").
  if (o.truth) for (const [i, s] of samples.entries()) await prisma.sample.update({ where: { id: s.id }, data: { label: i < o.agree ? "Yes" : "No" } });
  const status = o.status ?? "finished";
  const finishedAt = status === "finished" ? new Date(Date.now() - (o.finishedAgoMs ?? 60_000)) : null;
  const run = await prisma.comparisonRun.create({
    data: {
      functionId,
      sampleSetId: set.id,
      modelA,
      modelALabel: modelA ?? "latest",
      modelB,
      modelBLabel: modelB ?? "latest",
      status,
      total: n,
      createdByLabel: "test",
      startedAt: new Date(Date.now() - 3600_000),
      finishedAt,
    },
  });
  await prisma.comparisonResult.createMany({
    data: samples.flatMap((s, i) => [
      { runId: run.id, sampleId: s.id, side: "a", ok: true, labelName: "Yes", confidence: 0.9, latencyMs: 10, attempts: 1 },
      // The last `failed` samples: model B answered with an error.
      i >= n - (o.failed ?? 0)
        ? { runId: run.id, sampleId: s.id, side: "b", ok: false, labelName: null, confidence: null, latencyMs: 12, attempts: 3, error: "Nyckel answered 500" }
        : { runId: run.id, sampleId: s.id, side: "b", ok: true, labelName: i < o.agree ? "Yes" : "No", confidence: 0.8, latencyMs: 12, attempts: 1 },
    ]),
  });
  return run.id;
}

async function auditActions(functionId: string, environmentId: string) {
  const events = await prisma.auditEvent.findMany({ where: { functionId, environmentId }, orderBy: { id: "asc" }, select: { action: true, after: true, reason: true, actorLabel: true, targetId: true } });
  return events;
}

async function webhookTypes(functionId: string) {
  return (await prisma.webhookEvent.findMany({ where: { functionId }, orderBy: { createdAt: "asc" }, select: { type: true } })).map((e) => e.type);
}

beforeAll(async () => {
  editor = await member("editor");
  approver1 = await member("approver", "approver1");
  approver2 = await member("approver", "approver2");
  approver3 = await member("approver", "approver3");
  admin = await member("admin");
  viewer = await member("viewer");
});

afterAll(async () => {
  await stopBoss();
  await owner.$disconnect();
  await disconnectPrisma();
});

describe("promotion requests (real PostgreSQL)", () => {
  it("refuses self-approval (and self-rejection), for an approver and an admin; the request stays pending", async () => {
    const w = await world({ approvalsRequired: 1 });
    const mine = await createRequest(approver1, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "my own" });
    await expect(approveRequest(approver1, { requestId: mine.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(approveRequest(approver1, { requestId: mine.id })).rejects.toThrow("You made this request, so you cannot decide it");
    await expect(rejectRequest(approver1, { requestId: mine.id, comment: "no" })).rejects.toBeInstanceOf(ForbiddenError);
    const byAdmin = await createRequest(admin, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.other.id, reason: "admin's own" });
    await expect(approveRequest(admin, { requestId: byAdmin.id })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await prisma.promotionDecision.count({ where: { requestId: { in: [mine.id, byAdmin.id] } } })).toBe(0);
    expect((await prisma.promotionRequest.findUniqueOrThrow({ where: { id: mine.id } })).status).toBe("pending");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });
    // Editors and viewers cannot decide at all; viewers cannot request.
    await expect(approveRequest(editor, { requestId: mine.id })).rejects.toThrow("You are not allowed to do this.");
    await expect(approveRequest(viewer, { requestId: mine.id })).rejects.toThrow("You are not allowed to do this.");
    await expect(createRequest(viewer, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.other.id, reason: "x" })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("two approvals from distinct approvers apply the pin; one does not; the whole chain is audited and emitted", async () => {
    const w = await world({ approvalsRequired: 2, requestExpiryHours: 72 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "Target is better on refunds" });
    expect(req).toMatchObject({ status: "pending", approvals: 0, approvalsRequired: 2 });
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row).toMatchObject({ baseVersion: 1, baseModelId: w.base.modelId, targetModelId: w.target.modelId, requestedById: editor.actor.id, approvalsRequired: 2 });
    expect(row.policy).toEqual({
      protected: true,
      approvalsRequired: 2,
      rejectionBlocks: true,
      requestExpiryHours: 72,
      minAgreementPct: null,
      minAnsweredSamples: 30,
      maxErrorPct: 5,
      gateLowerBound: false,
    });
    expect(row.expiresAt!.getTime() - row.createdAt.getTime()).toBe(72 * 3600_000);

    const first = await approveRequest(approver1, { requestId: req.id, comment: "looks right" });
    expect(first).toMatchObject({ status: "pending", approvals: 1, appliedVersion: null });
    expect(first.message).toContain("1 more approval needed");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });

    const second = await approveRequest(approver2, { requestId: req.id });
    expect(second).toMatchObject({ status: "applied", approvals: 2, appliedVersion: 2 });
    expect(await pinState(w.env, w.fn)).toEqual({ version: 2, modelRefId: w.target.id });
    const done = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(done).toMatchObject({ status: "applied", appliedVersion: 2 });
    expect(done.closedAt).not.toBeNull();

    const events = await auditActions(w.fn, w.env);
    expect(events.map((e) => e.action)).toEqual(["pin.break_glass", "request.opened", "request.approved", "request.approved", "pin.pinned", "request.applied"]);
    const pinEvent = events[4]!;
    expect(pinEvent.after).toMatchObject({ version: 2, modelId: w.target.modelId, breakGlass: false, promotionRequest: { id: req.id, number: req.number } });
    expect(pinEvent.reason).toBe(`Promotion #${req.number}: Target is better on refunds`);
    expect(pinEvent.actorLabel).toBe(approver2.actor.label);
    expect(events[2]).toMatchObject({ actorLabel: approver1.actor.label, reason: "looks right", targetId: req.id });
    expect(await webhookTypes(w.fn)).toEqual(["pin.changed", "request.opened", "request.approved", "request.approved", "pin.changed", "request.applied"]);
    const revision = await prisma.pinRevision.findFirstOrThrow({ where: { functionId: w.fn, environmentId: w.env, version: 2 } });
    expect(revision.reason).toBe(`Promotion #${req.number}: Target is better on refunds`);
    // A closed request cannot be decided again.
    await expect(approveRequest(approver3, { requestId: req.id })).rejects.toThrow(`Request #${req.number} is applied; it can no longer be decided.`);
    await expect(rejectRequest(approver3, { requestId: req.id, comment: "late" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("the same approver twice counts once, with a clear message", async () => {
    const w = await world({ approvalsRequired: 2 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "twice" });
    await approveRequest(approver1, { requestId: req.id });
    await expect(approveRequest(approver1, { requestId: req.id })).rejects.toThrow("You already approved this request; each member decides once.");
    // Concurrent duplicates of the same approver: still one.
    const again = await Promise.allSettled([approveRequest(approver1, { requestId: req.id }), approveRequest(approver1, { requestId: req.id })]);
    expect(again.every((r) => r.status === "rejected")).toBe(true);
    await expect(rejectRequest(approver1, { requestId: req.id, comment: "changed my mind" })).rejects.toThrow("You already approved this request");
    expect(await prisma.promotionDecision.count({ where: { requestId: req.id } })).toBe(1);
    expect((await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } })).status).toBe("pending");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });
  });

  it("a rejection ends the request when the policy says so, and is only recorded when it does not", async () => {
    const blocking = await world({ approvalsRequired: 2, rejectionBlocks: true });
    const req = await createRequest(editor, { functionId: blocking.fn, environmentId: blocking.env, targetModelRefId: blocking.target.id, reason: "please" });
    await expect(rejectRequest(approver1, { requestId: req.id, comment: "  " })).rejects.toThrow("Say why you reject it");
    await approveRequest(approver1, { requestId: req.id });
    const rejected = await rejectRequest(approver2, { requestId: req.id, comment: "Target misroutes refunds" });
    expect(rejected).toMatchObject({ status: "rejected", approvals: 1 });
    expect(await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } })).toMatchObject({ status: "rejected", statusReason: `Rejected by ${approver2.actor.label}: Target misroutes refunds` });
    await expect(approveRequest(approver3, { requestId: req.id })).rejects.toThrow(`Request #${req.number} is rejected; it can no longer be decided.`);
    expect(await pinState(blocking.env, blocking.fn)).toEqual({ version: 1, modelRefId: blocking.base.id });

    const lenient = await world({ approvalsRequired: 2, rejectionBlocks: false });
    const req2 = await createRequest(editor, { functionId: lenient.fn, environmentId: lenient.env, targetModelRefId: lenient.target.id, reason: "please" });
    const recorded = await rejectRequest(approver1, { requestId: req2.id, comment: "not convinced" });
    expect(recorded.status).toBe("pending");
    expect(recorded.message).toContain("stays open");
    await approveRequest(approver2, { requestId: req2.id });
    const applied = await approveRequest(approver3, { requestId: req2.id });
    expect(applied).toMatchObject({ status: "applied", approvals: 2 });
    expect(await pinState(lenient.env, lenient.fn)).toEqual({ version: 2, modelRefId: lenient.target.id });
    const actions = (await auditActions(lenient.fn, lenient.env)).map((e) => e.action);
    expect(actions).toEqual(["pin.break_glass", "request.opened", "request.rejected", "request.approved", "request.approved", "pin.pinned", "request.applied"]);
  });

  it("stale: when the pin moved (break-glass) between the request and the last approval, the request is not applied and the pin stays where it was moved", async () => {
    // Last approval after the move.
    const w = await world({ approvalsRequired: 2 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "to target" });
    await approveRequest(approver1, { requestId: req.id });
    await breakGlass(w.env, w.fn, w.other.id, "incident: other model now");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 2, modelRefId: w.other.id });
    const last = await approveRequest(approver2, { requestId: req.id });
    expect(last.status).toBe("stale");
    expect(last.message).toContain("moved from version 1 to 2");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 2, modelRefId: w.other.id });
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row.status).toBe("stale");
    expect(row.statusReason).toContain("moved from version 1 to 2");
    expect(row.appliedVersion).toBeNull();
    // The approval itself is recorded.
    expect(await prisma.promotionDecision.count({ where: { requestId: req.id, decision: "approve" } })).toBe(2);
    const actions = (await auditActions(w.fn, w.env)).map((e) => e.action);
    expect(actions).toEqual(["pin.break_glass", "request.opened", "request.approved", "pin.break_glass", "request.approved", "request.stale"]);
    expect(await prisma.pinRevision.count({ where: { functionId: w.fn, environmentId: w.env } })).toBe(2);
    expect(await webhookTypes(w.fn)).toContain("request.stale");
    await expect(approveRequest(approver3, { requestId: req.id })).rejects.toThrow("is stale");

    // A non-final approval after the move says so at once.
    const w2 = await world({ approvalsRequired: 2 });
    const req2 = await createRequest(editor, { functionId: w2.fn, environmentId: w2.env, targetModelRefId: w2.target.id, reason: "to target" });
    await breakGlass(w2.env, w2.fn, w2.other.id);
    const early = await approveRequest(approver1, { requestId: req2.id });
    expect(early.status).toBe("stale");
    expect(await pinState(w2.env, w2.fn)).toEqual({ version: 2, modelRefId: w2.other.id });

    // Moved away and back: the version still differs, so still stale (invariant 3: same base pin version).
    const w3 = await world({ approvalsRequired: 1 });
    const req3 = await createRequest(editor, { functionId: w3.fn, environmentId: w3.env, targetModelRefId: w3.target.id, reason: "to target" });
    await breakGlass(w3.env, w3.fn, w3.other.id);
    await breakGlass(w3.env, w3.fn, w3.base.id);
    expect((await approveRequest(approver1, { requestId: req3.id })).status).toBe("stale");
    expect(await pinState(w3.env, w3.fn)).toEqual({ version: 3, modelRefId: w3.base.id });
  });

  it("a target retired before the last approval: stale with the pin service's reason, nothing of the failed pin change written", async () => {
    const w = await world({ approvalsRequired: 1 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "to target" });
    await retireModel(editor, { id: w.target.id });
    const eventsBefore = await prisma.auditEvent.count({ where: { functionId: w.fn } });
    const result = await approveRequest(approver1, { requestId: req.id });
    expect(result.status).toBe("stale");
    expect(result.message).toContain("is retired and cannot be pinned");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });
    expect(await prisma.pinRevision.count({ where: { functionId: w.fn, environmentId: w.env } })).toBe(1);
    const after = await prisma.auditEvent.findMany({ where: { functionId: w.fn }, orderBy: { id: "asc" }, skip: eventsBefore, select: { action: true } });
    expect(after.map((e) => e.action)).toEqual(["request.approved", "request.stale"]);
    expect(await verifyAuditChain(prisma)).toMatchObject({ ok: true });
  });

  it("the pin service's promotion option lets only a pending, approved, matching request through a protected environment", async () => {
    const w = await world({ approvalsRequired: 2 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "narrow option" });
    const change = { environmentId: w.env, functionId: w.fn, modelRefId: w.target.id, expectedVersion: 1, reason: "sneak", kind: "pin" as const };
    const attempt = (c: typeof change, request = { id: req.id, number: req.number }) =>
      prisma.$transaction((tx) => applyPinChange(tx, approver1, c, { promotionRequest: promotionApproval(request) }));
    // Not approved yet (0 of 2).
    await expect(attempt(change)).rejects.toThrow(`Promotion request #${req.number} does not approve this pin change.`);
    await approveRequest(approver1, { requestId: req.id });
    await prisma.promotionDecision.create({ data: { requestId: req.id, userId: approver2.actor.id!, userLabel: "direct", decision: "approve" } });
    // Approved now, but another target, another base version or a forged number: refused.
    await expect(attempt({ ...change, modelRefId: w.other.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt({ ...change, expectedVersion: 0 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt(change, { id: req.id, number: req.number + 1000 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt(change, { id: "00000000-0000-4000-8000-000000000000", number: req.number })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });
    // Without the option the protected environment still refuses an approver.
    await expect(setPin(approver1, { ...change })).rejects.toThrow("is protected: its pins move through promotion requests.");
  });

  it("the expiry job: scheduled every minute on its pg-boss queue, and a job run expires a due request", async () => {
    await startPromotionExpiryWorker();
    // Stopped at the end of this test, so the worker cannot expire other tests' requests behind their backs.
    onTestFinished(() => stopBoss());
    const boss = await getBoss();
    expect((await boss.getSchedules()).filter((s) => s.name === QUEUES.promotionExpiry).map((s) => s.cron)).toEqual([PROMOTION_EXPIRY_CRON]);
    const w = await world({ approvalsRequired: 1, requestExpiryHours: 2 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "expired by the job" });
    await backdateExpiry(req.id);
    await boss.send(QUEUES.promotionExpiry, {});
    const deadline = Date.now() + 30_000;
    let status = "pending";
    while (status === "pending" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } })).status;
    }
    expect(status).toBe("expired");
    const expired = await prisma.auditEvent.findFirstOrThrow({ where: { functionId: w.fn, action: "request.expired", targetId: req.id } });
    expect(expired.actorLabel).toBe("system");
    expect(expired.reason).toContain("with 0 of 1 approval (requests in");
  });

  it("expiry: the job expires due requests (status, audit, webhook); an approval after expiresAt is refused and marks it expired", async () => {
    const w = await world({ approvalsRequired: 2, requestExpiryHours: 1 });
    const a = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "expires by job" });
    const b = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.other.id, reason: "expires on approval" });
    await approveRequest(approver1, { requestId: a.id });

    // Not due yet.
    expect((await expireDueRequests(new Date(Date.now() + 30 * 60_000))).expired).not.toContain(a.number);
    // Due an hour later.
    const { expired } = await expireDueRequests(new Date(Date.now() + 61 * 60_000));
    expect(expired).toEqual(expect.arrayContaining([a.number, b.number]));
    const rowA = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: a.id } });
    expect(rowA.status).toBe("expired");
    expect(rowA.statusReason).toContain("with 1 of 2 approvals");
    await expect(approveRequest(approver2, { requestId: a.id })).rejects.toThrow(`Request #${a.number} is expired; it can no longer be decided.`);
    const events = (await auditActions(w.fn, w.env)).filter((e) => e.targetId === a.id);
    expect(events.map((e) => e.action)).toEqual(["request.opened", "request.approved", "request.expired"]);
    expect(events[2]!.actorLabel).toBe("system");
    expect(await webhookTypes(w.fn)).toEqual(expect.arrayContaining(["request.expired"]));
    // Running the job again changes nothing.
    expect((await expireDueRequests(new Date(Date.now() + 61 * 60_000))).expired).not.toContain(a.number);

    // Approving after expiresAt, before the job ran: refused, and the request is now expired.
    const c = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "late approval" });
    await backdateExpiry(c.id);
    const waiting = await listRequests({ id: approver1.actor.id!, role: "approver" }, { view: "waiting" });
    expect(waiting.requests.map((r) => r.id)).not.toContain(c.id);
    await expect(approveRequest(approver1, { requestId: c.id })).rejects.toThrow(`Request #${c.number} expired at`);
    expect((await prisma.promotionRequest.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("expired");
    expect(await prisma.promotionDecision.count({ where: { requestId: c.id } })).toBe(0);
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });
  });

  it("the evidence gate refuses no run, a failing run, a mismatched run and an unfinished run, and accepts a passing one with its summary frozen and hashed", async () => {
    const w = await world({ approvalsRequired: 2, minAgreementPct: 90, minAnsweredSamples: 10 });
    const ask = (evidenceRunId: string | null) => createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "with evidence", evidenceRunId });
    const name = (await prisma.environment.findUniqueOrThrow({ where: { id: w.env } })).name;

    await expect(ask(null)).rejects.toThrow(`${name} requires evidence: a finished comparison of its current pin (${w.base.modelId}) with the requested model (${w.target.modelId}) with agreement ≥ 90% on at least 10 answered samples, with at most 5% errors. Attach one.`);
    const failing = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 8 });
    await expect(ask(failing)).rejects.toThrow(`Agreement in that comparison run is 80.0% (8 of 10 samples), below the required 90% for ${name}.`);
    const mismatched = await comparisonRun(w.fn, w.base.modelId, w.other.modelId, { agree: 10 });
    await expect(ask(mismatched)).rejects.toThrow(
      `That comparison run compares ${w.base.modelId} with ${w.other.modelId}; evidence must compare ${name}'s current pin (${w.base.modelId}) with the requested model (${w.target.modelId}).`,
    );
    const running = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 10, status: "running" });
    await expect(ask(running)).rejects.toThrow("That comparison run is running, not finished.");
    const otherFn = await newFunction();
    const foreign = await comparisonRun(otherFn, w.base.modelId, w.target.modelId, { agree: 10 });
    await expect(ask(foreign)).rejects.toThrow("That comparison run is of another function.");
    await expect(ask("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
    expect(await prisma.promotionRequest.count({ where: { functionId: w.fn } })).toBe(0);

    // Passing, with the sides the other way round (A = target, B = current pin).
    const passing = await comparisonRun(w.fn, w.target.modelId, w.base.modelId, { agree: 19, n: 20 });
    const ok = await ask(passing);
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: ok.id } });
    expect(row.evidenceRunId).toBe(passing);
    const summary = row.evidenceSummary as Record<string, unknown> & { agreement: { rate: number; n: number; agree: number; ciLow: number; ciHigh: number } };
    expect(summary).toMatchObject({ runId: passing, currentSide: "b", samples: 20, answered: 20, errors: { a: 0, b: 0 }, accuracy: null, gate: { minAgreementPct: 90, passed: true, rules: { minAnsweredSamples: 10, maxErrorPct: 5, lowerBound: false } } });
    expect(summary.agreement).toMatchObject({ agree: 19, n: 20, rate: 0.95 });
    expect(summary.agreement.ciLow).toBeGreaterThan(0.75);
    expect(summary.agreement.ciHigh).toBeLessThan(1);
    expect(row.evidenceHash).toBe(createHash("sha256").update(canonicalJson(row.evidenceSummary)).digest("hex"));
    expect(row.evidenceHash).toMatch(/^[0-9a-f]{64}$/);

    // The database refuses changing the frozen evidence; changed anyway (as the owner, trigger off), the decision refuses it.
    const forged = { ...summary, agreement: { ...summary.agreement, rate: 0.99 } };
    await expect(prisma.promotionRequest.update({ where: { id: ok.id }, data: { evidenceSummary: forged } })).rejects.toThrow("evidence_summary cannot change");
    await tamperAndCommit(owner, ["promotion_requests"], async (tx) => {
      await tx.$executeRaw`UPDATE promotion_requests SET evidence_summary = ${JSON.stringify(forged)}::jsonb WHERE id = ${ok.id}::uuid`;
    });
    await expect(approveRequest(approver1, { requestId: ok.id })).rejects.toThrow(tamperedMessage(ok.number));
    expect(await prisma.promotionDecision.count({ where: { requestId: ok.id } })).toBe(0);
  });

  it("with ground truth, the frozen evidence holds accuracy B − A with its paired interval and per-label intervals, and the request is still decided", async () => {
    const w = await world({ approvalsRequired: 1, minAgreementPct: 50 });
    const run = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 30, n: 40, truth: true });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "more accurate", evidenceRunId: run });
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } });
    const acc = (row.evidenceSummary as { accuracy: Record<string, unknown> & { difference: Record<string, number>; perLabel: Array<Record<string, unknown>> } }).accuracy;
    // A is right on 30 of 40 (the "Yes" samples), B on all 40: B − A = 10/40, with Newcombe's interval (stats-paired.ts).
    const expected = pairedDifference({ bothRight: 30, onlyA: 0, onlyB: 10, bothWrong: 0 });
    expect(acc.difference).toEqual({ bMinusA: 0.25, ciLow: expected.ci.low, ciHigh: expected.ci.high, method: "newcombe-paired-wilson" });
    expect(acc.difference.ciLow!).toBeGreaterThan(0);
    // Per label, both models, with Wilson intervals: "No" is never predicted by A (precision undefined → null).
    expect(acc.perLabel).toEqual([
      { label: "Yes", support: 30, a: { precision: 0.75, precisionCi: [wilsonInterval(30, 40).low, wilsonInterval(30, 40).high], recall: 1, recallCi: [wilsonInterval(30, 30).low, 1] }, b: expect.objectContaining({ precision: 1, recall: 1 }) },
      { label: "No", support: 10, a: { precision: null, precisionCi: [0, 1], recall: 0, recallCi: [0, wilsonInterval(0, 10).high] }, b: expect.objectContaining({ precision: 1, recall: 1 }) },
    ]);
    expect(acc.perLabelOmitted).toBe(0);
    expect(row.evidenceHash).toBe(createHash("sha256").update(canonicalJson(row.evidenceSummary)).digest("hex"));
    // The frozen request hash still recomputes from the stored row: the approval applies it.
    expect(await approveRequest(approver1, { requestId: req.id })).toMatchObject({ status: "applied" });
  });

  it("the gate's rules: at least 30 answered samples by default, at most 5% errors, optionally the interval's lower bound; each refusal names its rule", async () => {
    const w = await world({ approvalsRequired: 0, minAgreementPct: 99 });
    const name = (await prisma.environment.findUniqueOrThrow({ where: { id: w.env } })).name;
    const ask = (evidenceRunId: string) => createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "gate rules", evidenceRunId });
    // One agreeing sample of one does not pass a 99% gate.
    const one = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 1, n: 1 });
    await expect(ask(one)).rejects.toThrow(`That comparison run has 1 samples both models answered; ${name} requires at least 30.`);
    // Most samples failed: the 10 answered agree, but 30 of 40 failed.
    await prisma.environment.update({ where: { id: w.env }, data: { minAnsweredSamples: 10 } });
    const failing = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 40, n: 40, failed: 30 });
    await expect(ask(failing)).rejects.toThrow(`In that comparison run 30 of 40 samples (75.0%) were not answered by both models; ${name} allows at most 5% errors.`);
    // 40 of 40 agree (100%): the point estimate passes 95%, the interval's lower bound (91.2%) does not.
    await prisma.environment.update({ where: { id: w.env }, data: { minAgreementPct: 95, gateLowerBound: true } });
    const small = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 40, n: 40 });
    await expect(ask(small)).rejects.toThrow(/the lower bound of its 95% interval is 91\.\d%, below the required 95%/);
    expect(await prisma.promotionRequest.count({ where: { functionId: w.fn } })).toBe(0);
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.base.id });
    await prisma.environment.update({ where: { id: w.env }, data: { gateLowerBound: false } });
    expect((await ask(small)).status).toBe("applied");
  });

  it("evidence for an environment on latest: the run's side must be latest and finished within 24 hours", async () => {
    const w = await world({ approvalsRequired: 1, minAgreementPct: 50, minAnsweredSamples: 10 }, { pinBase: false });
    const ask = (evidenceRunId: string) => createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "off latest", evidenceRunId });
    const old = await comparisonRun(w.fn, null, w.target.modelId, { agree: 10, finishedAgoMs: 25 * 3600_000 });
    await expect(ask(old)).rejects.toThrow("That comparison run against “latest” finished 25 h ago; evidence against “latest” must have finished within the last 24 hours");
    // A run naming a model instead of latest does not match an environment on latest.
    const named = await comparisonRun(w.fn, w.base.modelId, w.target.modelId, { agree: 10 });
    await expect(ask(named)).rejects.toThrow("evidence must compare");
    const fresh = await comparisonRun(w.fn, null, w.target.modelId, { agree: 10, finishedAgoMs: 3600_000 });
    const ok = await ask(fresh);
    expect(ok.status).toBe("pending");
    expect(await prisma.promotionRequest.findUniqueOrThrow({ where: { id: ok.id } })).toMatchObject({ baseVersion: 0, baseModelId: null, evidenceRunId: fresh });
    // It applies onto a never-pinned environment (compare-and-set from version 0).
    expect(await approveRequest(approver1, { requestId: ok.id })).toMatchObject({ status: "applied", appliedVersion: 1 });
    expect(await pinState(w.env, w.fn)).toEqual({ version: 1, modelRefId: w.target.id });
  });

  it("an environment needing 0 approvals applies on submit (the evidence gate still applies); back to latest works too", async () => {
    const w = await world({ approvalsRequired: 0 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "no approvals needed" });
    expect(req).toMatchObject({ status: "applied", appliedVersion: 2, approvals: 0, approvalsRequired: 0 });
    expect(await pinState(w.env, w.fn)).toEqual({ version: 2, modelRefId: w.target.id });
    const toLatest = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: null, reason: "back to latest" });
    expect(toLatest.status).toBe("applied");
    expect(await pinState(w.env, w.fn)).toEqual({ version: 3, modelRefId: null });
    const actions = (await auditActions(w.fn, w.env)).map((e) => e.action);
    expect(actions).toEqual(["pin.break_glass", "request.opened", "pin.pinned", "request.applied", "request.opened", "pin.unpinned", "request.applied"]);

    const gated = await world({ approvalsRequired: 0, minAgreementPct: 95, minAnsweredSamples: 20 });
    await expect(createRequest(editor, { functionId: gated.fn, environmentId: gated.env, targetModelRefId: gated.target.id, reason: "no evidence" })).rejects.toThrow("requires evidence");
    expect(await pinState(gated.env, gated.fn)).toEqual({ version: 1, modelRefId: gated.base.id });
    const run = await comparisonRun(gated.fn, gated.base.modelId, gated.target.modelId, { agree: 20, n: 20 });
    expect((await createRequest(editor, { functionId: gated.fn, environmentId: gated.env, targetModelRefId: gated.target.id, reason: "evidence", evidenceRunId: run })).status).toBe("applied");
  });

  it("bad input: already pinned, unregistered, retired, missing reason, duplicate pending — clear messages, nothing created", async () => {
    const w = await world({ approvalsRequired: 1 });
    const name = (await prisma.environment.findUniqueOrThrow({ where: { id: w.env } })).name;
    const base = { functionId: w.fn, environmentId: w.env, reason: "why" };
    await expect(createRequest(editor, { ...base, targetModelRefId: w.base.id })).rejects.toThrow(`${name} is already pinned to Base (${w.base.modelId}).`);
    const elsewhere = await world({ approvalsRequired: 1 });
    await expect(createRequest(editor, { ...base, targetModelRefId: elsewhere.target.id })).rejects.toThrow("That model is not registered for this function.");
    await expect(createRequest(editor, { ...base, targetModelRefId: "not-a-uuid" })).rejects.toThrow("Choose a registered model, or latest.");
    await retireModel(editor, { id: w.other.id });
    await expect(createRequest(editor, { ...base, targetModelRefId: w.other.id })).rejects.toThrow("is retired and cannot be requested");
    await expect(createRequest(editor, { ...base, targetModelRefId: w.target.id, reason: "   " })).rejects.toThrow("Give a reason");
    await expect(createRequest(editor, { ...base, targetModelRefId: w.target.id, reason: "x".repeat(2001) })).rejects.toBeInstanceOf(InvalidInputError);
    expect(await prisma.promotionRequest.count({ where: { functionId: w.fn } })).toBe(0);
    const first = await createRequest(editor, { ...base, targetModelRefId: w.target.id });
    await expect(createRequest(approver1, { ...base, targetModelRefId: w.target.id })).rejects.toThrow(`Request #${first.number} already asks to move ${name} to Target`);
    expect(await prisma.promotionRequest.count({ where: { functionId: w.fn } })).toBe(1);
  });

  it("cancel: the requester or an admin, only while pending", async () => {
    const w = await world({ approvalsRequired: 2 });
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "cancel me" });
    await expect(cancelRequest(approver1, { requestId: req.id })).rejects.toThrow("Only the member who made this request, or an admin, can cancel it.");
    await expect(cancelRequest(viewer, { requestId: req.id })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await cancelRequest(editor, { requestId: req.id })).toMatchObject({ status: "cancelled" });
    await expect(approveRequest(approver1, { requestId: req.id })).rejects.toThrow("is cancelled; it can no longer be decided.");
    await expect(cancelRequest(editor, { requestId: req.id })).rejects.toThrow("only a pending request can be cancelled");
    const req2 = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "admin cancels" });
    expect(await cancelRequest(admin, { requestId: req2.id, comment: "superseded" })).toMatchObject({ status: "cancelled" });
    const events = (await auditActions(w.fn, w.env)).filter((e) => e.action === "request.cancelled");
    expect(events.map((e) => e.reason)).toEqual(["Cancelled by the requester.", "superseded"]);
  });

  it("queues: waiting for me excludes my own, decided and closed requests", async () => {
    const w = await world({ approvalsRequired: 2 });
    const req = await createRequest(approver1, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "queue" });
    const waitingIds = async (ctx: ServiceContext) =>
      (await listRequests({ id: ctx.actor.id!, role: ctx.actor.role }, { view: "waiting", take: 200 })).requests.map((r) => r.id);
    expect(await waitingIds(approver1)).not.toContain(req.id);
    expect(await waitingIds(approver2)).toContain(req.id);
    const before2 = await countWaitingForMe({ id: approver2.actor.id!, role: "approver" });
    await approveRequest(approver2, { requestId: req.id });
    expect(await waitingIds(approver2)).not.toContain(req.id);
    expect(await countWaitingForMe({ id: approver2.actor.id!, role: "approver" })).toBe(before2 - 1);
    expect(await waitingIds(approver3)).toContain(req.id);
    expect(await countWaitingForMe({ id: editor.actor.id!, role: "editor" })).toBe(0);
    const mine = await listRequests({ id: approver1.actor.id!, role: "approver" }, { view: "mine" });
    expect(mine.requests.find((r) => r.id === req.id)).toMatchObject({ approvals: 1, status: "pending" });
  });

  it("two last approvals racing apply the pin exactly once (one request.applied, one pin event)", async () => {
    const observed: Array<{ applied: number; refused: number }> = [];
    for (let round = 0; round < 5; round++) {
      const w = await world({ approvalsRequired: 2 });
      const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: `race ${round}` });
      await approveRequest(approver1, { requestId: req.id });
      const results = await Promise.allSettled([approveRequest(approver2, { requestId: req.id }), approveRequest(approver3, { requestId: req.id })]);
      const applied = results.filter((r): r is PromiseFulfilledResult<RequestOutcome> => r.status === "fulfilled" && r.value.status === "applied");
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(applied).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.reason).toBeInstanceOf(ConflictError);
      expect((refused[0]!.reason as Error).message).toBe(`Request #${req.number} is applied; it can no longer be decided.`);
      expect(await pinState(w.env, w.fn)).toEqual({ version: 2, modelRefId: w.target.id });
      const actions = (await auditActions(w.fn, w.env)).map((e) => e.action);
      expect(actions.filter((a) => a === "request.applied")).toHaveLength(1);
      expect(actions.filter((a) => a === "pin.pinned")).toHaveLength(1);
      expect(await prisma.promotionDecision.count({ where: { requestId: req.id } })).toBe(2);
      observed.push({ applied: applied.length, refused: refused.length });
    }
    console.info(`[race] 5 rounds of 2 concurrent last approvals: ${JSON.stringify(observed)}`);
  });

  it("20 approvers racing on a 1-approval request: they really overlap, the pin moves once, 19 get the closed-request message", async () => {
    const w = await world({ approvalsRequired: 1 });
    const approvers = await Promise.all(Array.from({ length: 20 }, (_, i) => member("approver", `racer${i}`)));
    const req = await createRequest(editor, { functionId: w.fn, environmentId: w.env, targetModelRefId: w.target.id, reason: "race of 20" });
    const eventsBefore = await prisma.auditEvent.count();

    // A separate connection watches how many of the racers wait on a lock while the race runs.
    const monitor = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await monitor.connect();
    let maxWaiting = 0;
    let samples = 0;
    let racing = true;
    const watch = (async () => {
      while (racing) {
        const { rows } = await monitor.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')",
        );
        maxWaiting = Math.max(maxWaiting, rows[0]!.n);
        samples++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const started = Date.now();
    const results = await Promise.allSettled(approvers.map((a) => approveRequest(a, { requestId: req.id })));
    const ms = Date.now() - started;
    racing = false;
    await watch;
    await monitor.end();

    const applied = results.filter((r): r is PromiseFulfilledResult<RequestOutcome> => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(applied).toHaveLength(1);
    expect(applied[0]!.value).toMatchObject({ status: "applied", appliedVersion: 2, approvals: 1 });
    expect(refused).toHaveLength(19);
    for (const r of refused) expect((r.reason as Error).message).toBe(`Request #${req.number} is applied; it can no longer be decided.`);
    expect(await pinState(w.env, w.fn)).toEqual({ version: 2, modelRefId: w.target.id });
    expect(await prisma.promotionDecision.count({ where: { requestId: req.id } })).toBe(1);
    const actions = (await auditActions(w.fn, w.env)).map((e) => e.action);
    expect(actions.filter((a) => a === "request.applied")).toHaveLength(1);
    expect(actions.filter((a) => a === "request.approved")).toHaveLength(1);
    expect(actions.filter((a) => a.startsWith("pin."))).toEqual(["pin.break_glass", "pin.pinned"]);
    expect(await prisma.auditEvent.count()).toBe(eventsBefore + 3); // approved, pin.pinned, applied
    expect(await verifyAuditChain(prisma)).toMatchObject({ ok: true });
    // The race was real: other racers were seen blocked on the request's row lock (row-lock waits: transactionid / tuple).
    expect(maxWaiting).toBeGreaterThanOrEqual(1);
    console.info(`[race] 20 concurrent approvals (policy 1) in ${ms} ms: ${applied.length} applied, ${refused.length} refused; up to ${maxWaiting} transactions seen waiting on the request's row lock (${samples} samples)`);
  });
});
