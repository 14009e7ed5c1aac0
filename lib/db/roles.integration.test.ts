import path from "node:path";

import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";

import { SYSTEM_ACTOR, appendAuditEvent } from "@/lib/audit/service";
import type { AuditAction } from "@/lib/audit/catalog";
import { verifyAuditChain } from "@/lib/audit/verify";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { getBoss, QUEUES, stopBoss } from "@/lib/jobs/boss";
import { withOwnerClient } from "@/scripts/testing/owner";
import { repoRoot } from "@/scripts/db/database";
import { deployMigrations } from "@/scripts/db/migrations";
import { withClient } from "@/lib/db/pg-client";
import { migrationRoleWarningAtStart } from "./role-check";
import { APP_TABLE_EXCEPTIONS, appRoleFor, appRoleProblems } from "./roles";

const appUrl = inject("databaseUrl");
const ownerUrl = inject("ownerDatabaseUrl");
const appRole = appRoleFor(appUrl, ownerUrl);

afterAll(async () => {
  await stopBoss();
  await disconnectPrisma();
});

/** The SQLSTATE and message PostgreSQL answers `sql` with, run as the app role; null when it succeeds. */
async function asApp(sql: string): Promise<{ code: string; message: string } | null> {
  return withClient(appUrl, async (client) => {
    try {
      await client.query(sql);
      return null;
    } catch (error) {
      const e = error as pg.DatabaseError;
      return { code: e.code ?? "", message: e.message };
    }
  });
}

/** Refused for want of privilege (42501), by PostgreSQL itself, not by the audit log's triggers. */
function expectPrivilegeRefusal(outcome: { code: string; message: string } | null, sql: string): void {
  expect(outcome, `${sql} succeeded as the app role`).not.toBeNull();
  expect(outcome!.code, sql).toBe("42501");
  expect(outcome!.message, sql).toMatch(/permission denied|must be owner/);
}

describe.skipIf(appRole === undefined)("database roles (the app role, real PostgreSQL)", () => {
  it("the app connects as a role that owns nothing and has no special powers", async () => {
    const app = await withClient(appUrl, async (c) => (await c.query<{ user: string }>("SELECT current_user AS user")).rows[0]!.user);
    expect(app).toBe(appRole);
    expect(await withOwnerClient((client) => appRoleProblems(client, appRole!))).toEqual([]);
  });

  it("as the app role, disabling the audit log's triggers, truncating, deleting, updating and dropping all fail", async () => {
    await prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.roles" as AuditAction }));
    const before = await prisma.auditEvent.count();
    for (const sql of [
      "ALTER TABLE audit_events DISABLE TRIGGER ALL",
      "ALTER TABLE audit_events DISABLE TRIGGER USER",
      "TRUNCATE audit_events",
      "DELETE FROM audit_events",
      "UPDATE audit_events SET reason = 'forged'",
      "DROP TABLE pins",
      "TRUNCATE pins",
      "ALTER TABLE pins DISABLE TRIGGER ALL",
      "DROP TRIGGER audit_events_no_update ON audit_events",
      "CREATE TABLE intruder (id int)",
      "DROP TABLE pgboss.job",
      "SET session_replication_role = replica",
    ]) {
      expectPrivilegeRefusal(await asApp(sql), sql);
    }
    expect(await prisma.auditEvent.count()).toBe(before);
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
  });

  it("the app's normal work still runs as the app role: audit appends, reads and writes, the job queue", async () => {
    const { id } = await prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.roles.work" as AuditAction, after: { ok: true } }));
    expect((await prisma.auditEvent.findUniqueOrThrow({ where: { id } })).action).toBe("test.roles.work");
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
    await prisma.nyckelBudgetLease.deleteMany({ where: { processId: "roles-test-none" } });

    const boss = await getBoss(); // migrate: false; the migrate step created its schema and queues
    const jobId = await boss.send(QUEUES.promotionExpiry, { roles: true });
    expect(jobId).toBeTruthy();
    await boss.deleteJob(QUEUES.promotionExpiry, jobId!);
    // …but it may not create a queue (a table) itself.
    await expect(boss.createQueue(`roles-test-${Date.now()}`)).rejects.toThrow(/permission denied/);
  });

  it("the migrate step's grants are generic: a table a later migration adds is the app's to use, not to truncate or drop", async () => {
    const table = `roles_probe_${Date.now()}`;
    await withOwnerClient((c) => c.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`));
    try {
      expectPrivilegeRefusal(await asApp(`SELECT * FROM ${table}`), "SELECT before the migrate step");
      await deployMigrations(ownerUrl, { migrationsDir: path.join(repoRoot(), "prisma", "migrations"), appRole, log: () => undefined });
      expect(await asApp(`INSERT INTO ${table} (note) VALUES ('a')`)).toBeNull();
      expect(await asApp(`UPDATE ${table} SET note = 'b'`)).toBeNull();
      expect(await asApp(`DELETE FROM ${table}`)).toBeNull();
      expectPrivilegeRefusal(await asApp(`TRUNCATE ${table}`), "TRUNCATE");
      expectPrivilegeRefusal(await asApp(`DROP TABLE ${table}`), "DROP TABLE");
    } finally {
      await withOwnerClient((c) => c.query(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it("the production start-up check warns in one line only when migrations run as the app's own role", async () => {
    // Without MIGRATION_DATABASE_URL, the database is asked: the app role owns nothing, the owner (here a superuser) does.
    expect(await migrationRoleWarningAtStart(appUrl, undefined)).toBeUndefined();
    const asOwner = await migrationRoleWarningAtStart(ownerUrl, undefined);
    expect(asOwner).toMatch(/^Warning: migrations run as DATABASE_URL's role .*MIGRATION_DATABASE_URL/);
    expect(asOwner).not.toContain("\n");
    // With it, the two URLs' roles are compared.
    expect(await migrationRoleWarningAtStart(appUrl, ownerUrl)).toBeUndefined();
    expect(await migrationRoleWarningAtStart(appUrl, appUrl)).toContain(appRole!);
  });

  it("the exceptions hold: audit_events is INSERT and SELECT only, the migration history is out of reach", async () => {
    const privileges = await withOwnerClient(async (client) => {
      const out: Record<string, string[]> = {};
      for (const table of Object.keys(APP_TABLE_EXCEPTIONS)) {
        const { rows } = await client.query<{ privilege: string }>(
          `SELECT p AS privilege FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p
            WHERE has_table_privilege($1, $2, p) ORDER BY p`,
          [appRole, `public.${table}`],
        );
        out[table] = rows.map((r) => r.privilege);
      }
      return out;
    });
    expect(privileges).toEqual({
      audit_events: ["INSERT", "SELECT"],
      audit_head: ["INSERT", "SELECT", "UPDATE"],
      audit_checkpoints: ["INSERT", "SELECT"],
      _prisma_migrations: [],
    });
  });
});
