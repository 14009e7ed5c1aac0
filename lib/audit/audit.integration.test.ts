import { afterAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR, appendAuditEvent } from "@/lib/audit/service";
import type { AuditAction } from "@/lib/audit/catalog";
import { verifyAuditChain } from "@/lib/audit/verify";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createOwnerPrisma } from "@/scripts/testing/owner";

// The triggers hold even for the owner role (the app role may not even try: lib/db/roles.integration.test.ts).
const owner = createOwnerPrisma();

afterAll(async () => {
  await disconnectPrisma();
  await owner.$disconnect();
});

class Rollback extends Error {}

describe("audit log (real PostgreSQL)", () => {
  it("keeps one hash chain under 40 concurrent appends", async () => {
    const before = await prisma.auditEvent.count();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.concurrent" as AuditAction, after: { i, nested: { b: 2, a: 1 } } })),
      ),
    );
    expect(await prisma.auditEvent.count()).toBe(before + 40);
    const result = await verifyAuditChain(prisma);
    expect(result).toMatchObject({ ok: true, count: before + 40 });
  });

  it("refuses UPDATE, DELETE and TRUNCATE by plain SQL", async () => {
    await prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.guarded" as AuditAction }));
    await expect(owner.$executeRawUnsafe(`UPDATE audit_events SET reason = 'x'`)).rejects.toThrow(/append-only/);
    await expect(owner.$executeRawUnsafe(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    await expect(owner.$executeRawUnsafe(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    // Even a statement that matches no row is refused (statement-level trigger).
    await expect(owner.$executeRawUnsafe(`DELETE FROM audit_events WHERE id < 0`)).rejects.toThrow(/append-only/);
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
  });

  it("audit:verify finds and names an event edited with the trigger disabled", async () => {
    const { id } = await prisma.$transaction((tx) =>
      appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.tampered" as AuditAction, reason: "original reason" }),
    );
    await prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.after-tampered" as AuditAction }));
    let seen: Awaited<ReturnType<typeof verifyAuditChain>> | undefined;
    await owner
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
        await tx.$executeRawUnsafe(`UPDATE audit_events SET reason = 'forged reason' WHERE id = ${id}`);
        seen = await verifyAuditChain(tx);
        throw new Rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e;
      });
    expect(seen).toMatchObject({ ok: false, brokenAt: String(id) });
    expect(seen && !seen.ok && seen.problem).toContain(`event ${id} (test.tampered) was changed`);

    let removed: Awaited<ReturnType<typeof verifyAuditChain>> | undefined;
    await owner
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
        await tx.$executeRawUnsafe(`DELETE FROM audit_events WHERE id = ${id}`);
        removed = await verifyAuditChain(tx);
        throw new Rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e;
      });
    expect(removed).toMatchObject({ ok: false });
    expect(removed && !removed.ok && Number(removed.brokenAt)).toBeGreaterThan(Number(id));
    // Rolled back: the real chain is intact.
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
  });
});
