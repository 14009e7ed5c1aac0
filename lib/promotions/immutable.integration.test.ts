import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerClient, tamperAndCommit } from "@/scripts/testing/audit-tamper";
import { verifyAuditLog } from "@/lib/audit/verify";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { ConflictError } from "@/lib/errors";
import { registerModel } from "@/lib/models/service";
import { setPin } from "@/lib/pins/service";
import { tamperedMessage } from "./frozen";
import { approveRequest, cancelRequest, createRequest, rejectRequest } from "./service";

/**
 * Promotion requests are immutable in the database (issue 13 item 8): the
 * trigger refuses changes to frozen columns; a change made anyway, as the
 * owner with the trigger off, is caught by the frozen hash at the decision.
 */

const sys = systemContext("test");
const tag = () => randomBytes(4).toString("hex");
const owner = ownerClient();
type Role = "editor" | "approver" | "admin";
const people: Partial<Record<Role, ServiceContext>> = {};
const as = (role: Role) => people[role]!;

beforeAll(async () => {
  for (const role of ["editor", "approver", "admin"] as const) {
    const u = await prisma.user.create({ data: { email: `frozen-${role}-${tag()}@example.com`, name: `Frozen ${role}`, role }, select: { id: true, role: true, email: true } });
    people[role] = { actor: { id: u.id, role: u.role, label: u.email }, requestId: `test-${tag()}` };
  }
});

afterAll(async () => {
  await owner.$disconnect();
  await disconnectPrisma();
});

/** A protected environment needing one approval, pinned to `base`, and a pending request to move it to `target`. */
async function pendingRequest(reason = "frozen test") {
  const functionId = `function_frozen${tag()}${tag()}`;
  await prisma.nyckelFunction.create({ data: { id: functionId, name: `Frozen ${functionId.slice(-6)}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
  const base = await registerModel(as("editor"), { functionId, modelId: `model_${tag()}`, nickname: "Base", notes: "" });
  const target = await registerModel(as("editor"), { functionId, modelId: `model_${tag()}`, nickname: "Target", notes: "" });
  const t = tag();
  const env = await createEnvironment(sys, { slug: `frozen-${t}`, name: `Frozen ${t}`, sortOrder: 60, protected: true, approvalsRequired: 1, rejectionBlocks: true, requestExpiryHours: 24, minAgreementPct: null });
  await setPin(as("admin"), { environmentId: env.id, functionId, modelRefId: base.id, expectedVersion: 0, reason: "base", kind: "pin", breakGlass: true });
  const req = await createRequest(as("editor"), { functionId, environmentId: env.id, targetModelRefId: target.id, reason });
  return { req, functionId, environmentId: env.id, base, target };
}

const pin = (environmentId: string, functionId: string) =>
  prisma.pin.findUniqueOrThrow({ where: { environmentId_functionId: { environmentId, functionId } }, select: { version: true, modelRefId: true } });

describe("promotion requests are immutable (real PostgreSQL)", () => {
  it("the database refuses changing a frozen column and deleting; the decision columns change only while pending", async () => {
    const { req, environmentId, functionId, target } = await pendingRequest();
    const where = { id: req.id };
    await expect(prisma.promotionRequest.update({ where, data: { reason: "rewritten" } })).rejects.toThrow(`promotion request #${req.number} is immutable: reason cannot change once submitted`);
    await expect(prisma.promotionRequest.update({ where, data: { expiresAt: new Date(Date.now() - 1000) } })).rejects.toThrow("is immutable: expires_at cannot change");
    await expect(prisma.promotionRequest.update({ where, data: { targetModelId: "model_forged", baseVersion: 7 } })).rejects.toThrow("is immutable: target_model_id, base_version cannot change");
    await expect(prisma.$executeRaw`UPDATE promotion_requests SET policy = jsonb_set(policy, '{approvalsRequired}', '0') WHERE id = ${req.id}::uuid`).rejects.toThrow("is immutable: policy cannot change");
    await expect(prisma.$executeRaw`UPDATE promotion_requests SET request_hash = ${"0".repeat(64)} WHERE id = ${req.id}::uuid`).rejects.toThrow("is immutable: request_hash cannot change");
    await expect(prisma.promotionRequest.delete({ where })).rejects.toThrow("promotion_requests are immutable: DELETE is not allowed");

    // The service's own updates still work: the approval applies the pin.
    const applied = await approveRequest(as("approver"), { requestId: req.id, comment: "fine" });
    expect(applied).toMatchObject({ status: "applied", appliedVersion: 2 });
    expect(await pin(environmentId, functionId)).toEqual({ version: 2, modelRefId: target.id });
    await expect(prisma.promotionRequest.update({ where, data: { status: "pending", closedAt: null } })).rejects.toThrow(`promotion request #${req.number} is applied and can no longer change`);
  });

  it("the frozen hash covers the whole request, matches the migration's SQL definition, and is in the audit chain", async () => {
    const { req } = await pendingRequest("ünïcode “reason”\nwith a second line");
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row.requestHash).toMatch(/^[0-9a-f]{64}$/);
    const [sql] = await prisma.$queryRaw<{ hash: string }[]>`SELECT promotion_request_frozen_hash(r) AS hash FROM promotion_requests r WHERE id = ${req.id}::uuid`;
    expect(sql!.hash).toBe(row.requestHash);
    const opened = await prisma.auditEvent.findFirstOrThrow({ where: { action: "request.opened", targetId: req.id } });
    expect(opened.after).toMatchObject({ requestHash: row.requestHash });
  });

  const tampers: Array<[string, string]> = [
    ["base pin version", "base_version = base_version + 1"],
    ["target model", "target_model_id = 'model_forged'"],
    ["frozen policy", "policy = jsonb_set(policy, '{approvalsRequired}', '0')"],
    ["requester", "requested_by_id = NULL, requested_by_label = 'someone else'"],
    ["expiry", "expires_at = expires_at + interval '30 days'"],
    ["reason", "reason = 'a better reason'"],
  ];

  for (const [i, [what, set]] of tampers.entries()) {
    const decision = i % 2 === 0 ? "approve" : "reject";
    it(`a request whose ${what} was changed with the trigger off: the ${decision} is refused, audited, and changes nothing`, async () => {
      const { req, environmentId, functionId, base } = await pendingRequest();
      await tamperAndCommit(owner, ["promotion_requests"], async (tx) => {
        await tx.$executeRawUnsafe(`UPDATE promotion_requests SET ${set} WHERE id = '${req.id}'`);
      });
      const attempt =
        decision === "approve" ? approveRequest(as("approver"), { requestId: req.id, comment: "" }) : rejectRequest(as("approver"), { requestId: req.id, comment: "no" });
      await expect(attempt).rejects.toThrow(new ConflictError(tamperedMessage(req.number)));
      expect(await prisma.promotionDecision.count({ where: { requestId: req.id } })).toBe(0);
      expect((await prisma.promotionRequest.findUniqueOrThrow({ where: { id: req.id } })).status).toBe("pending");
      expect(await pin(environmentId, functionId)).toEqual({ version: 1, modelRefId: base.id });
      const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "request.integrity_failed", targetId: req.id } });
      expect(event).toMatchObject({ actorLabel: as("approver").actor.label, reason: tamperedMessage(req.number) });
      expect(event.after).toMatchObject({ request: `#${req.number}`, decision, refused: true });
      const after = event.after as { storedHash: string; recomputedHash: string };
      expect(after.storedHash).not.toBe(after.recomputedHash);
      // An admin can still cancel it.
      expect(await cancelRequest(as("admin"), { requestId: req.id, comment: "changed outside Modelpin" })).toMatchObject({ status: "cancelled" });
    });
  }

  it("the audit chain stays intact through all of it", async () => {
    expect(await verifyAuditLog()).toMatchObject({ ok: true });
  });
});
