import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit/verify";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { createMember } from "@/lib/members/service";
import { registerModel, retireModel } from "@/lib/models/service";
import { getFunctionPins, getPinsAt, listPinTimeline } from "./queries";
import { CONFLICT_MESSAGE, setPin } from "./service";
import { OPEN_POLICY } from "@/scripts/testing/environments";

const sys = systemContext("test");
const tag = () => randomBytes(4).toString("hex");

let editor: ServiceContext;
let admin: ServiceContext;
let devId: string;
let prodId: string;

function as(user: { id: string; role: "viewer" | "editor" | "approver" | "admin"; email: string }): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId: `test-${tag()}` };
}

async function newFunction(name = "Test function") {
  const id = `function_test${tag()}${tag()}`;
  await prisma.nyckelFunction.create({ data: { id, name: `${name} ${id.slice(-6)}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
  return id;
}

async function newModel(functionId: string, nickname: string) {
  return registerModel(editor, { functionId, modelId: `model_${tag()}${tag()}`, nickname, notes: "" });
}

async function pinState(environmentId: string, functionId: string) {
  return prisma.pin.findUnique({ where: { environmentId_functionId: { environmentId, functionId } }, select: { version: true, modelRefId: true } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const t = tag();
  const ed = await createMember(sys, { email: `pins-editor-${t}@example.com`, name: "Pin Editor", role: "editor", password: "pins-editor-pass" });
  const ad = await createMember(sys, { email: `pins-admin-${t}@example.com`, name: "Pin Admin", role: "admin", password: "pins-admin-pass" });
  editor = as(ed);
  admin = as(ad);
  devId = (await createEnvironment(sys, { ...OPEN_POLICY, slug: `dev-${t}`, name: `Dev ${t}`, sortOrder: 10 })).id;
  prodId = (await createEnvironment(sys, { ...OPEN_POLICY, slug: `prod-${t}`, name: `Prod ${t}`, sortOrder: 30, protected: true, approvalsRequired: 2 })).id;
});

afterAll(async () => {
  await disconnectPrisma();
});

describe("pin service (real PostgreSQL)", () => {
  it("pins, moves and unpins with compare-and-set, one audit event and one revision per change", async () => {
    const fn = await newFunction();
    const a = await newModel(fn, "Alpha");
    const b = await newModel(fn, "Beta");
    const first = await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: a.id, expectedVersion: 0, reason: "first pin", kind: "pin" });
    expect(first.after).toEqual({ version: 1, model: { id: a.id, modelId: a.modelId, nickname: "Alpha" } });
    const second = await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: b.id, expectedVersion: 1, reason: "move to beta", kind: "pin" });
    expect(second.before.model?.nickname).toBe("Alpha");
    const third = await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: null, expectedVersion: 2, reason: "back to latest", kind: "unpin" });
    expect(third.after).toEqual({ version: 3, model: null });

    const events = await prisma.auditEvent.findMany({ where: { functionId: fn, environmentId: devId }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.action)).toEqual(["pin.pinned", "pin.pinned", "pin.unpinned"]);
    expect(events[1]).toMatchObject({
      actorId: editor.actor.id,
      reason: "move to beta",
      before: { version: 1, modelId: a.modelId, nickname: "Alpha", modelRefId: a.id },
      after: { version: 2, modelId: b.modelId, nickname: "Beta", modelRefId: b.id, kind: "pin", breakGlass: false },
    });
    const revisions = await prisma.pinRevision.findMany({ where: { functionId: fn }, orderBy: { version: "asc" } });
    expect(revisions.map((r) => [r.version, r.kind, r.modelId, r.auditEventId])).toEqual([
      [1, "pin", a.modelId, events[0]!.id],
      [2, "pin", b.modelId, events[1]!.id],
      [3, "unpin", null, events[2]!.id],
    ]);
    // Revisions are history: the database refuses to change them.
    await expect(prisma.$executeRawUnsafe(`UPDATE pin_revisions SET reason = 'x' WHERE function_id = '${fn}'`)).rejects.toThrow(/append-only/);
    await expect(prisma.$executeRawUnsafe(`DELETE FROM pin_revisions WHERE function_id = '${fn}'`)).rejects.toThrow(/append-only/);
  });

  it("100 concurrent changes from the same base version: exactly one wins, 99 conflicts, one audit event, chain intact", async () => {
    const fn = await newFunction();
    const base = await newModel(fn, "Base");
    await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: base.id, expectedVersion: 0, reason: "base", kind: "pin" });
    const targets = await Promise.all(Array.from({ length: 4 }, (_, i) => newModel(fn, `Racer ${i}`)));
    const eventsBefore = await prisma.auditEvent.count();
    const pinEventsBefore = await prisma.auditEvent.count({ where: { functionId: fn } });

    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        setPin(editor, { environmentId: devId, functionId: fn, modelRefId: targets[i % 4]!.id, expectedVersion: 1, reason: `racer ${i}`, kind: "pin" }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(99);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(ConflictError);
      expect((r.reason as Error).message).toBe(CONFLICT_MESSAGE);
    }
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof setPin>>>).value;
    expect(await pinState(devId, fn)).toEqual({ version: 2, modelRefId: winner.after.model!.id });
    expect(await prisma.auditEvent.count()).toBe(eventsBefore + 1);
    expect(await prisma.auditEvent.count({ where: { functionId: fn } })).toBe(pinEventsBefore + 1);
    expect(await prisma.pinRevision.count({ where: { functionId: fn } })).toBe(2);
    expect(await verifyAuditChain(prisma)).toMatchObject({ ok: true });
  });

  it("100 concurrent first pins (no pin row yet, version 0): exactly one wins", async () => {
    const fn = await newFunction();
    const m = await newModel(fn, "First");
    const n = await newModel(fn, "Other");
    const eventsBefore = await prisma.auditEvent.count();
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        setPin(editor, { environmentId: devId, functionId: fn, modelRefId: (i % 2 ? m : n).id, expectedVersion: 0, reason: `first ${i}`, kind: "pin" }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(lost.every((r) => r.reason instanceof ConflictError)).toBe(true);
    expect(lost).toHaveLength(99);
    expect((await pinState(devId, fn))?.version).toBe(1);
    expect(await prisma.auditEvent.count()).toBe(eventsBefore + 1);
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
  });

  it("bad input gets a clear message and changes nothing", async () => {
    const fn = await newFunction();
    const otherFn = await newFunction();
    const a = await newModel(fn, "Alpha");
    const b = await newModel(fn, "Beta");
    const foreign = await newModel(otherFn, "Foreign");
    await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: a.id, expectedVersion: 0, reason: "start", kind: "pin" });
    const events = await prisma.auditEvent.count();
    const attempt = (over: Partial<Parameters<typeof setPin>[1]>) =>
      setPin(editor, { environmentId: devId, functionId: fn, modelRefId: b.id, expectedVersion: 1, reason: "a reason", kind: "pin", ...over }).catch((e: unknown) => e);

    const noReason = await attempt({ reason: "   " });
    expect(noReason).toBeInstanceOf(InvalidInputError);
    expect((noReason as InvalidInputError).fieldErrors?.reason).toEqual(["Give a reason: it is recorded in the audit log."]);
    expect(await attempt({ reason: "x".repeat(2001) })).toMatchObject({ message: "Reasons are at most 2,000 characters." });
    expect(await attempt({ environmentId: "00000000-0000-4000-8000-000000000000" })).toMatchObject({ message: "That environment does not exist." });
    expect(await attempt({ environmentId: "staging" })).toMatchObject({ message: "Unknown environment." });
    expect(await attempt({ functionId: "function_nope" })).toBeInstanceOf(NotFoundError);
    expect(await attempt({ modelRefId: foreign.id })).toMatchObject({ message: "That model is not registered for this function." });
    expect(await attempt({ expectedVersion: 0 })).toMatchObject({ message: CONFLICT_MESSAGE });
    expect(await attempt({ expectedVersion: 7 })).toBeInstanceOf(ConflictError);
    expect(await attempt({ modelRefId: a.id })).toMatchObject({ message: expect.stringContaining("is already pinned to “Alpha”") });
    expect(await attempt({ kind: "pin", modelRefId: null })).toMatchObject({ fieldErrors: { modelRefId: ["Choose the model to pin."] } });
    expect(await attempt({ breakGlass: true })).toMatchObject({ message: expect.stringContaining("is not protected") });

    await retireModel(editor, { id: b.id });
    expect(await attempt({})).toMatchObject({ message: `“Beta” (${b.modelId}) is retired and cannot be pinned.` });
    // A pinned model cannot be retired.
    expect(await retireModel(editor, { id: a.id }).catch((e: unknown) => e)).toMatchObject({ message: expect.stringContaining("is pinned in Dev") });

    expect(await pinState(devId, fn)).toEqual({ version: 1, modelRefId: a.id });
    // Only the retire of Beta was recorded.
    expect(await prisma.auditEvent.count()).toBe(events + 1);
  });

  it("protected environments: editors are refused, admins only with break-glass, marked as such", async () => {
    const fn = await newFunction();
    const a = await newModel(fn, "Alpha");
    const input = { environmentId: prodId, functionId: fn, modelRefId: a.id, expectedVersion: 0, reason: "hotfix", kind: "pin" as const };
    expect(await setPin(editor, input).catch((e: unknown) => e)).toMatchObject({ message: expect.stringContaining("is protected") });
    expect(await setPin(editor, { ...input, breakGlass: true }).catch((e: unknown) => e)).toBeInstanceOf(ForbiddenError);
    expect(await setPin(admin, input).catch((e: unknown) => e)).toMatchObject({ message: expect.stringContaining("you can use break-glass") });
    expect(await pinState(prodId, fn)).toBeNull();

    const change = await setPin(admin, { ...input, breakGlass: true, reason: "outage: pin the known-good model" });
    expect(change.breakGlass).toBe(true);
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { functionId: fn, environmentId: prodId } });
    expect(event).toMatchObject({ action: "pin.break_glass", reason: "outage: pin the known-good model", after: { breakGlass: true, kind: "pin" } });
    const [row] = (await getFunctionPins(fn)).filter((r) => r.environment.id === prodId);
    expect(row?.pin).toMatchObject({ breakGlass: true, version: 1, model: { nickname: "Alpha" } });
  });

  it("rollback goes through the policy: a protected environment refuses an editor's rollback; unprotected ones record a rollback", async () => {
    const fn = await newFunction();
    const a = await newModel(fn, "Alpha");
    const b = await newModel(fn, "Beta");
    const bg = { breakGlass: true, kind: "pin" as const };
    await setPin(admin, { ...bg, environmentId: prodId, functionId: fn, modelRefId: a.id, expectedVersion: 0, reason: "v1" });
    await setPin(admin, { ...bg, environmentId: prodId, functionId: fn, modelRefId: b.id, expectedVersion: 1, reason: "v2" });
    const rollback = { environmentId: prodId, functionId: fn, modelRefId: a.id, expectedVersion: 2, reason: "beta is worse", kind: "rollback" as const, restoreVersion: 1 };
    const refused = await setPin(editor, rollback).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as Error).message).toContain("is protected");
    expect(await pinState(prodId, fn)).toEqual({ version: 2, modelRefId: b.id });

    const done = await setPin(admin, { ...rollback, breakGlass: true });
    expect(done).toMatchObject({ kind: "rollback", breakGlass: true, restoredVersion: 1, after: { version: 3, model: { id: a.id } } });
    expect(await prisma.auditEvent.findFirstOrThrow({ where: { functionId: fn, environmentId: prodId }, orderBy: { id: "desc" } })).toMatchObject({
      action: "pin.break_glass",
      after: { kind: "rollback", restoredVersion: 1, modelId: a.modelId },
    });

    // Unprotected: an editor rolls back; to a version that pinned a different model than claimed → refused.
    await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: a.id, expectedVersion: 0, reason: "d1", kind: "pin" });
    await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: b.id, expectedVersion: 1, reason: "d2", kind: "pin" });
    const mismatch = await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: b.id, expectedVersion: 2, reason: "x", kind: "rollback", restoreVersion: 1 }).catch(
      (e: unknown) => e,
    );
    expect(mismatch).toBeInstanceOf(ConflictError);
    expect(await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: a.id, expectedVersion: 2, reason: "x", kind: "rollback", restoreVersion: 2 }).catch((e: unknown) => e)).toBeInstanceOf(
      InvalidInputError,
    );
    await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: a.id, expectedVersion: 2, reason: "back to alpha", kind: "rollback", restoreVersion: 1 });
    const toLatest = await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: null, expectedVersion: 3, reason: "back to the start", kind: "rollback", restoreVersion: 0 });
    expect(toLatest.after.model).toBeNull();
    const timeline = (await listPinTimeline(fn)).get(devId)!;
    expect(timeline.map((r) => [r.version, r.kind, r.restoredVersion, r.model?.nickname ?? null])).toEqual([
      [4, "rollback", 0, null],
      [3, "rollback", 1, "Alpha"],
      [2, "pin", null, "Beta"],
      [1, "pin", null, "Alpha"],
    ]);
    const actions = await prisma.auditEvent.findMany({ where: { functionId: fn, environmentId: devId }, orderBy: { id: "asc" }, select: { action: true } });
    expect(actions.map((e) => e.action)).toEqual(["pin.pinned", "pin.pinned", "pin.rolled_back", "pin.rolled_back"]);
  });

  it("answers what was pinned at any point in time across a sequence of changes", async () => {
    const fn = await newFunction("Timed");
    const idle = await newFunction("Never pinned");
    const a = await newModel(fn, "Alpha");
    const b = await newModel(fn, "Beta");
    const t0 = new Date();
    await sleep(5);
    const steps = [
      await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: a.id, expectedVersion: 0, reason: "1", kind: "pin" }),
    ];
    await sleep(5);
    steps.push(await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: b.id, expectedVersion: 1, reason: "2", kind: "pin" }));
    await sleep(5);
    steps.push(await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: null, expectedVersion: 2, reason: "3", kind: "unpin" }));
    await sleep(5);
    steps.push(await setPin(editor, { environmentId: devId, functionId: fn, modelRefId: b.id, expectedVersion: 3, reason: "4", kind: "rollback", restoreVersion: 2 }));

    const at = async (when: Date) => {
      const all = await getPinsAt(devId, { at: when });
      expect(all.find((p) => p.functionId === idle)).toMatchObject({ modelId: null, version: 0, updatedAt: null });
      const one = await getPinsAt(devId, { at: when, functionId: fn });
      expect(one).toHaveLength(1);
      expect(all.find((p) => p.functionId === fn)).toEqual(one[0]);
      return one[0]!;
    };
    expect(await at(t0)).toMatchObject({ modelId: null, version: 0, updatedAt: null });
    const expected = [
      { modelId: a.modelId, version: 1 },
      { modelId: b.modelId, version: 2 },
      { modelId: null, version: 3 },
      { modelId: b.modelId, version: 4 },
    ];
    for (const [i, step] of steps.entries()) {
      // At the very millisecond of a change, the change counts; one millisecond earlier, the one before.
      expect(await at(step.changedAt)).toMatchObject({ ...expected[i], updatedAt: step.changedAt });
      const before = await at(new Date(step.changedAt.getTime() - 1));
      expect(before.version).toBe(i);
    }
    const now = await getPinsAt(devId, { functionId: fn });
    expect(now[0]).toMatchObject({ modelId: b.modelId, version: 4, nickname: "Beta", functionName: expect.stringContaining("Timed") });
    expect(await at(new Date())).toEqual(now[0]);
  });
});
