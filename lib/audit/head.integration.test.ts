import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma, type Tx } from "@/lib/db/client";
import { ForbiddenError, InvalidInputError } from "@/lib/errors";
import { recordCheckpoint, runDueCheckpoint } from "./checkpoint";
import { eventHash } from "./hash";
import { deriveAuditKey, headSignatureOk, readHead, signHead, type StoredHead } from "./head";
import { ownerClient, tamperAndCommit, tamperAndRollback } from "@/scripts/testing/audit-tamper";
import { reanchorAuditChain } from "./reanchor";
import { outsideCheckpointSchema } from "./schemas";
import { SYSTEM_ACTOR, appendAuditEvent } from "./service";
import type { AuditAction } from "@/lib/audit/catalog";
import { verifyAuditChain, verifyAuditLog, type VerifyResult } from "./verify";

/**
 * The anchored audit chain against the real PostgreSQL. Every tamper runs as
 * the database owner with the triggers switched off (what the app's role
 * cannot do) and is rolled back, except the restored-backup story, which ends
 * re-anchored.
 */

const owner = ownerClient();

afterAll(async () => {
  await owner.$disconnect();
  await disconnectPrisma();
});

class Rollback extends Error {}

const append = (action: string, reason: string | null = null) => prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: action as AuditAction, reason }));
const checkpoint = async () => (await prisma.$transaction((tx) => recordCheckpoint(tx, "scheduled")))!;
const head = async (db: Pick<Tx, "$queryRaw"> = prisma) => (await readHead(db))!;

function problemOf(r: VerifyResult): string {
  if (r.ok) throw new Error(`expected a problem, verify said ok ${r.count} events`);
  return r.problem;
}

/** Deletes the newest `n` events (triggers off) inside the caller's tampering transaction. */
async function deleteNewest(tx: Tx, n: number) {
  await tx.$executeRawUnsafe(`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events ORDER BY id DESC LIMIT ${n})`);
}

async function setHead(tx: Tx, h: Pick<StoredHead, "count" | "lastId" | "lastHash" | "hmac">) {
  await tx.$executeRaw`UPDATE audit_head SET event_count = ${h.count}, last_event_id = ${h.lastId}, last_hash = ${h.lastHash}, hmac = ${h.hmac} WHERE id = 1`;
}

describe("the signed head (real PostgreSQL)", () => {
  it("moves with every append in the same transaction; a rolled-back append leaves it as it was", async () => {
    const before = await head();
    const { id, hash } = await append("test.head");
    const after = await head();
    expect(after).toMatchObject({ count: before.count + 1n, lastId: id, lastHash: hash });
    expect(headSignatureOk(after, after.hmac)).toBe(true);
    expect(after.count).toBe(BigInt(await prisma.auditEvent.count()));

    await prisma
      .$transaction(async (tx) => {
        await appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.rolled-back" as AuditAction });
        throw new Rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e;
      });
    expect(await head()).toEqual(after);
    expect(await verifyAuditLog()).toMatchObject({ ok: true, count: Number(after.count), lastId: String(id), lastHash: hash, signed: true });
  });

  it("40 concurrent appends with 3 checkpoints among them keep one chain and a valid head", async () => {
    const before = await prisma.auditEvent.count();
    const work: Promise<unknown>[] = Array.from({ length: 40 }, (_, i) => append("test.concurrent-head", `append ${i}`));
    work.splice(10, 0, checkpoint());
    work.splice(25, 0, checkpoint());
    work.push(checkpoint());
    await Promise.all(work);
    const h = await head();
    expect(h.count).toBe(BigInt(before + 40));
    expect(headSignatureOk(h, h.hmac)).toBe(true);
    expect(await verifyAuditLog()).toMatchObject({ ok: true, count: before + 40 });
  });

  it("verify says ok with the count and the time of the latest checkpoint; the schedule records one only when due", async () => {
    await append("test.before-checkpoint");
    const cp = await checkpoint();
    const result = await verifyAuditLog();
    expect(result).toMatchObject({ ok: true, count: cp.count, checkpoint: { at: cp.at, count: cp.count, kind: "scheduled" } });
    expect(await runDueCheckpoint(new Date(), 3600)).toBeNull();
    const due = await runDueCheckpoint(new Date(Date.now() + 2 * 3600_000), 3600);
    expect(due).toMatchObject({ kind: "scheduled", count: cp.count, lastHash: cp.lastHash, hmac: cp.hmac });
  });
});

describe("tampering that audit:verify reports (as the owner, triggers off, rolled back)", () => {
  it("deleting the newest events", async () => {
    for (let i = 0; i < 3; i++) await append("test.newest", `newest ${i}`);
    const h = await head();
    const seen = await tamperAndRollback(owner, ["audit_events"], async (tx) => {
      await deleteNewest(tx, 2);
      return verifyAuditChain(tx);
    });
    expect(problemOf(seen)).toContain(`The newest events are missing: the signed head says ${h.count} events up to event ${h.lastId}`);
    expect(seen).toMatchObject({ ok: false, count: Number(h.count) - 2 });
  });

  it("emptying the table", async () => {
    const h = await head();
    const seen = await tamperAndRollback(owner, ["audit_events"], async (tx) => {
      await tx.$executeRawUnsafe("DELETE FROM audit_events");
      return verifyAuditChain(tx);
    });
    expect(problemOf(seen)).toBe(
      `The audit log is empty, but the signed head says ${h.count} events up to event ${h.lastId} (hash ${h.lastHash.slice(0, 12)}…): the events were deleted outside Modelpin.`,
    );
  });

  it("rewriting the log with recomputed hashes, with the head left alone, updated without the key, or reset to unsigned", async () => {
    for (let i = 0; i < 3; i++) await append("test.rewrite", `original ${i}`);
    await checkpoint();
    const seen = await tamperAndRollback(owner, ["audit_events", "audit_head"], async (tx) => {
      const rows = (await tx.auditEvent.findMany({ orderBy: { id: "desc" }, take: 3 })).reverse();
      await deleteNewest(tx, 3);
      let prev = rows[0]!.prevHash;
      for (const row of rows) {
        const forged = { ...row, reason: `forged ${row.reason}`, prevHash: prev };
        const hash = eventHash(forged);
        await tx.$executeRaw`
          INSERT INTO audit_events (id, created_at, actor_id, actor_label, action, function_id, environment_id, target_type, target_id, before, after, reason, request_id, prev_hash, hash)
          VALUES (${row.id}, ${row.createdAt.toISOString()}::timestamptz, ${row.actorId}::uuid, ${row.actorLabel}, ${row.action}, ${row.functionId}, ${row.environmentId}::uuid, ${row.targetType}, ${row.targetId},
                  ${row.before === null ? null : JSON.stringify(row.before)}::jsonb, ${row.after === null ? null : JSON.stringify(row.after)}::jsonb,
                  ${forged.reason}, ${row.requestId}, ${prev}, ${hash})`;
        prev = hash;
      }
      const untouched = await verifyAuditChain(tx);
      const h = (await readHead(tx))!;
      const forgedHead = { count: h.count, lastId: h.lastId, lastHash: prev };
      await setHead(tx, { ...forgedHead, hmac: signHead(forgedHead, deriveAuditKey(randomBytes(32))) });
      const wrongKey = await verifyAuditChain(tx);
      await setHead(tx, { ...forgedHead, hmac: null });
      const unsigned = await verifyAuditChain(tx);
      // An append on top of that head does not sign it.
      await appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.after-rewrite" as AuditAction });
      return { untouched, wrongKey, unsigned, hmacAfterAppend: (await readHead(tx))!.hmac };
    });
    expect(problemOf(seen.untouched)).toContain("The log does not end where the signed head says");
    expect(problemOf(seen.untouched)).toContain("The log was rewritten outside Modelpin (hashes recomputed without the key).");
    expect(problemOf(seen.wrongKey)).toContain("The audit head's signature does not match its content");
    expect(problemOf(seen.unsigned)).toContain("The audit head is unsigned although checkpoints were recorded");
    expect(seen.hmacAfterAppend).toBeNull();
  });

  it("putting back an older signed head after deleting newer events: the latest checkpoint, or one held outside, reports it", async () => {
    const older = await head();
    for (let i = 0; i < 2; i++) await append("test.after-older-head", `later ${i}`);
    const cp = await checkpoint();
    const outside = outsideCheckpointSchema.parse({ type: "audit.checkpoint", data: cp });
    const seen = await tamperAndRollback(owner, ["audit_events", "audit_checkpoints"], async (tx) => {
      await tx.$executeRaw`DELETE FROM audit_events WHERE id > ${older.lastId}`;
      await setHead(tx, older);
      const withCheckpoint = await verifyAuditChain(tx);
      // A restored backup: the checkpoints of the database are as old as its head.
      await tx.$executeRaw`DELETE FROM audit_checkpoints WHERE id >= ${BigInt(cp.checkpointId)}`;
      const consistentBackup = await verifyAuditChain(tx);
      const againstOutside = await verifyAuditChain(tx, { outside });
      return { withCheckpoint, consistentBackup, againstOutside };
    });
    expect(problemOf(seen.withCheckpoint)).toMatch(/^The latest checkpoint \(.+ UTC, \d+ events up to event \d+\) is ahead of the log, which has \d+ events/);
    expect(seen.consistentBackup.ok).toBe(true);
    expect(problemOf(seen.againstOutside)).toMatch(/^The checkpoint given \(.+ UTC, \d+ events up to event \d+\) is ahead of the log/);
    // Against the real log, the same outside checkpoint matches.
    expect(await verifyAuditLog({ outside })).toMatchObject({ ok: true, outside: { at: cp.at, count: cp.count } });
  });

  it("a checkpoint written without the key", async () => {
    const h = await head();
    const seen = await tamperAndRollback(owner, [], async (tx) => {
      await tx.$executeRaw`INSERT INTO audit_checkpoints (kind, event_count, last_event_id, last_hash, hmac) VALUES ('scheduled', ${h.count}, ${h.lastId}, ${h.lastHash}, ${"0".repeat(64)})`;
      return verifyAuditChain(tx);
    });
    expect(problemOf(seen)).toMatch(/^The latest checkpoint \(.+\) is not signed with Modelpin's key: it was written outside Modelpin\.$/);
  });

  it("the database refuses deleting the head and changing or deleting checkpoints", async () => {
    // Even the owner role (the app role has no such privilege at all: lib/db/roles.integration.test.ts).
    await expect(owner.$executeRawUnsafe("DELETE FROM audit_head")).rejects.toThrow(/audit_head: DELETE is not allowed/);
    await expect(owner.$executeRawUnsafe("TRUNCATE audit_head")).rejects.toThrow(/audit_head: TRUNCATE is not allowed/);
    await expect(owner.$executeRawUnsafe("UPDATE audit_checkpoints SET reason = 'x'")).rejects.toThrow(/audit_checkpoints: UPDATE is not allowed/);
    await expect(owner.$executeRawUnsafe("DELETE FROM audit_checkpoints")).rejects.toThrow(/audit_checkpoints: DELETE is not allowed/);
    await expect(prisma.$executeRawUnsafe("DELETE FROM audit_head")).rejects.toThrow(/permission denied/);
    expect((await verifyAuditLog()).ok).toBe(true);
  });
});

describe("re-anchoring after a restored backup", () => {
  const admin: ServiceContext = { actor: { id: null, role: "admin", label: "cli (test)" }, requestId: "test-reanchor" };
  const editor: ServiceContext = { actor: { id: null, role: "editor", label: "editor" }, requestId: "test-reanchor" };

  it("a restore looks like deleted newest events; an admin's audited re-anchor makes verify ok again, with a reanchor checkpoint", async () => {
    await append("test.before-restore");
    const { id: lost } = await append("test.lost-in-restore");
    const before = await head();
    await tamperAndCommit(owner, ["audit_events"], async (tx) => {
      await tx.$executeRaw`DELETE FROM audit_events WHERE id = ${lost}`;
    });
    expect(problemOf(await verifyAuditLog())).toContain("The newest events are missing");

    await expect(reanchorAuditChain(editor, { reason: "restored the nightly backup" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(reanchorAuditChain(admin, { reason: "backup" })).rejects.toBeInstanceOf(InvalidInputError);
    const out = await reanchorAuditChain(admin, { reason: "Restored the 02:00 backup after disk loss" });
    expect(out.before).toMatchObject({ count: Number(before.count), lastEventId: String(lost), signatureValid: true });
    expect(out.after.count).toBe(Number(before.count) - 1);
    expect(out.checkpoint).toMatchObject({ kind: "reanchor", reason: "Restored the 02:00 backup after disk loss", count: Number(before.count) });

    const result = await verifyAuditLog();
    expect(result).toMatchObject({ ok: true, count: Number(before.count), checkpoint: { kind: "reanchor", count: Number(before.count) } });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "audit.reanchored" }, orderBy: { id: "desc" } });
    expect(event).toMatchObject({ actorLabel: "cli (test)", reason: "Restored the 02:00 backup after disk loss" });
    expect(event.before).toMatchObject({ head: { count: Number(before.count), lastEventId: String(lost), signatureValid: true } });
    const sent = await prisma.webhookEvent.findFirstOrThrow({ where: { type: "audit.checkpoint", payload: { path: ["checkpointId"], equals: out.checkpoint!.checkpointId } } });
    expect(sent.payload).toMatchObject({ kind: "reanchor", count: Number(before.count), reason: "Restored the 02:00 backup after disk loss" });
  });
});
