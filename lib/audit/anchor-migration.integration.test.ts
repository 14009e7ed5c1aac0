import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deployMigrations } from "@/scripts/db/migrations";
import { withClient } from "@/lib/db/pg-client";
import { dropDatabase, ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { frozenHash, type FrozenFields } from "@/lib/promotions/frozen";
import { anchorUnsignedHead } from "./checkpoint";
import { GENESIS_HASH, eventHash } from "./hash";
import { headSignatureOk, readHead } from "./head";
import { verifyAuditChain } from "./verify";

/**
 * An existing database upgraded: a scratch database with every migration
 * before the anchored chain, an audit chain and a promotion request in it,
 * then the remaining migrations. The head is built from the chain (unsigned),
 * the first start signs it; the request gets its frozen hash.
 */

const FIRST_NEW = "20261207300000_audit_head";
const quiet = { log: () => undefined };

describe("upgrading an existing database", () => {
  const scratchUrl = withDatabaseName(inject("ownerDatabaseUrl"), `modelpin_anchor_${randomBytes(4).toString("hex")}`);
  let olderDir: string;
  let db: PrismaClient;

  beforeAll(async () => {
    const all = path.resolve("prisma/migrations");
    olderDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelpin-older-"));
    fs.copyFileSync(path.join(all, "migration_lock.toml"), path.join(olderDir, "migration_lock.toml"));
    for (const name of fs.readdirSync(all).filter((n) => /^\d{14}_/.test(n) && n < FIRST_NEW)) {
      fs.cpSync(path.join(all, name), path.join(olderDir, name), { recursive: true });
    }
    await ensureDatabase(scratchUrl);
    await deployMigrations(scratchUrl, { migrationsDir: olderDir, ...quiet });
    db = new PrismaClient({ adapter: new PrismaPg({ connectionString: scratchUrl }) });
  });

  afterAll(async () => {
    await db?.$disconnect();
    await dropDatabase(scratchUrl);
    fs.rmSync(olderDir, { recursive: true, force: true });
  });

  it("builds the head from the existing chain, signs it at the first start, and hashes existing requests", async () => {
    // Three events of a real chain, written as the older Modelpin did.
    let prev = GENESIS_HASH;
    const ids: bigint[] = [];
    await withClient(scratchUrl, async (client) => {
      for (let i = 1; i <= 3; i++) {
        const e = { id: BigInt(i), createdAt: new Date(Date.UTC(2026, 10, i)), actorId: null, actorLabel: "system", action: "test.legacy", functionId: null, environmentId: null, targetType: null, targetId: null, before: null, after: { i }, reason: `legacy ${i}`, requestId: null, prevHash: prev };
        const hash = eventHash(e);
        await client.query(
          `INSERT INTO audit_events (id, created_at, actor_label, action, after, reason, prev_hash, hash) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)`,
          [String(e.id), e.createdAt, e.actorLabel, e.action, JSON.stringify(e.after), e.reason, prev, hash],
        );
        prev = hash;
        ids.push(e.id);
      }
      await client.query(`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), 3)`);
      await client.query(`INSERT INTO functions (id, name, input_type, output_type, last_synced_at) VALUES ('function_legacy', 'Legacy', 'Text', 'Classification', now())`);
      await client.query(`INSERT INTO environments (id, slug, name, updated_at) VALUES ($1, 'legacy', 'Légacy “prod”', now())`, [randomUUID()]);
      await client.query(
        `INSERT INTO promotion_requests (id, function_id, environment_id, target_model_id, base_version, reason, evidence_summary, evidence_hash, policy, approvals_required, status, requested_by_label, created_at, expires_at)
         SELECT $1, 'function_legacy', id, 'model_x', 2, 'ünïcode reason
with a newline', '{"b": 1.50, "a": [1, "x"]}'::jsonb, 'abc', '{"protected": true, "approvalsRequired": 1}'::jsonb, 1, 'pending', 'ann@example.com', '2026-11-30 12:00:00.123+00', NULL
         FROM environments WHERE slug = 'legacy'`,
        [randomUUID()],
      );
    });

    await deployMigrations(scratchUrl, { migrationsDir: path.resolve("prisma/migrations"), ...quiet });

    const built = (await readHead(db))!;
    expect(built).toMatchObject({ count: 3n, lastId: 3n, lastHash: prev, hmac: null });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, count: 3, signed: false });

    expect(await anchorUnsignedHead(db)).toBe(true);
    const signed = (await readHead(db))!;
    expect(signed.count).toBe(4n);
    expect(headSignatureOk(signed, signed.hmac)).toBe(true);
    const anchored = await db.auditEvent.findFirstOrThrow({ where: { action: "audit.anchored" } });
    expect(anchored.before).toMatchObject({ count: 3, lastEventId: "3", lastHash: prev });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, count: 4, signed: true });
    // Only once.
    expect(await anchorUnsignedHead(db)).toBe(false);

    const [row] = await db.$queryRaw<(FrozenFields & { requestHash: string })[]>`
      SELECT id::text, number, function_id AS "functionId", environment_id::text AS "environmentId",
             target_model_ref_id::text AS "targetModelRefId", target_model_id AS "targetModelId",
             base_version AS "baseVersion", base_model_id AS "baseModelId", reason,
             evidence_run_id::text AS "evidenceRunId", evidence_summary::text AS "evidenceSummaryText", evidence_hash AS "evidenceHash",
             policy::text AS "policyText", approvals_required AS "approvalsRequired", requested_by_id::text AS "requestedById",
             requested_by_label AS "requestedByLabel", created_at AS "createdAt", expires_at AS "expiresAt", request_hash AS "requestHash"
      FROM promotion_requests`;
    expect(row!.requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(frozenHash(row!)).toBe(row!.requestHash);
  });
});
