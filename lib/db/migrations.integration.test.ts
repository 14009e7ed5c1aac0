import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { createMigration, deployMigrations, migrationStatus, resetDatabase } from "@/scripts/db/migrations";
import { withClient } from "@/lib/db/pg-client";
import { dropDatabase, ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";

const SCHEMA_V1 = `
generator client {
  provider = "prisma-client"
  output   = "./generated"
}

datasource db {
  provider = "postgresql"
}

enum Kind {
  alpha
  beta
}

model Widget {
  id        String   @id @default(cuid())
  name      String   @unique
  kind      Kind     @default(alpha)
  createdAt DateTime @default(now())
  parts     Part[]
}

model Part {
  id       Int    @id @default(autoincrement())
  widget   Widget @relation(fields: [widgetId], references: [id], onDelete: Cascade)
  widgetId String

  @@index([widgetId])
}
`;

const SCHEMA_V2 = SCHEMA_V1.replace("  beta\n", "  beta\n  gamma\n").replace(
  "  parts     Part[]\n",
  "  parts     Part[]\n  weight    Decimal  @default(0) @db.Decimal(10, 2)\n",
);

const quiet = { log: () => undefined };

describe("offline migrations (schema-engine-wasm)", () => {
  // Migrations, scratch databases and the migration history are the owner role's.
  const url = inject("ownerDatabaseUrl");
  const suffix = randomBytes(4).toString("hex");
  const scratchUrl = withDatabaseName(url, `modelpin_mig_${suffix}`);
  const replayUrl = withDatabaseName(url, `modelpin_replay_${suffix}`);
  let workDir: string;
  let migrationsDir: string;
  let schemaPath: string;

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelpin-migrations-"));
    migrationsDir = path.join(workDir, "migrations");
    schemaPath = path.join(workDir, "schema.prisma");
    fs.writeFileSync(schemaPath, SCHEMA_V1);
    await ensureDatabase(scratchUrl);
    await ensureDatabase(replayUrl);
  });

  afterAll(async () => {
    await dropDatabase(scratchUrl);
    await dropDatabase(replayUrl);
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("receives the database URLs from the global setup", () => {
    expect(url).toMatch(/^postgres(ql)?:\/\//);
    expect(process.env.MIGRATION_DATABASE_URL).toBe(url);
    expect(process.env.DATABASE_URL).toBe(inject("databaseUrl"));
  });

  it("applied the project's migrations in the global setup", async () => {
    const status = await migrationStatus(url, { migrationsDir: path.resolve("prisma/migrations") });
    expect(status.pending).toEqual([]);
    expect(status.failed).toEqual([]);
  });

  it("writes a migration from the schema, applies it, and deploy is then idempotent", async () => {
    const first = await createMigration(scratchUrl, { name: "init", schemaPath, migrationsDir, ...quiet });
    expect(first.created).toMatch(/^\d{14}_init$/);
    expect(first.applied).toEqual([first.created]);
    const sql = fs.readFileSync(first.file!, "utf8");
    expect(sql).toContain('CREATE TABLE "Widget"');
    expect(sql).toContain('CREATE TYPE "Kind" AS ENUM');
    expect(fs.readFileSync(path.join(migrationsDir, "migration_lock.toml"), "utf8")).toContain('provider = "postgresql"');

    // Recorded exactly as Prisma does: checksum = sha256 of migration.sql.
    const rows = await withClient(scratchUrl, async (client) =>
      (await client.query("SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations")).rows,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ migration_name: first.created, rolled_back_at: null });
    expect(rows[0].finished_at).not.toBeNull();
    expect(rows[0].checksum).toBe(createHash("sha256").update(sql).digest("hex"));

    expect((await deployMigrations(scratchUrl, { migrationsDir, ...quiet })).applied).toEqual([]);
  });

  it("reports no changes when the schema matches the migrations", async () => {
    const again = await createMigration(scratchUrl, { name: "noop", schemaPath, migrationsDir, ...quiet });
    expect(again.created).toBeNull();
    expect(fs.readdirSync(migrationsDir).filter((entry) => entry !== "migration_lock.toml")).toHaveLength(1);
  });

  it("creates a second migration for schema changes and applies it", async () => {
    fs.writeFileSync(schemaPath, SCHEMA_V2);
    const second = await createMigration(scratchUrl, { name: "add weight", schemaPath, migrationsDir, ...quiet });
    expect(second.created).toMatch(/^\d{14}_add_weight$/);
    const sql = fs.readFileSync(second.file!, "utf8");
    expect(sql).toContain(`ALTER TYPE "Kind" ADD VALUE 'gamma'`);
    expect(sql).toContain('"weight" DECIMAL(10,2) NOT NULL DEFAULT 0');
    const columns = await withClient(scratchUrl, async (client) =>
      (await client.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'Widget'")).rows.map(
        (row: { column_name: string }) => row.column_name,
      ),
    );
    expect(columns).toContain("weight");
  });

  it("replays the written migrations on a fresh database, once", async () => {
    const first = await deployMigrations(replayUrl, { migrationsDir, ...quiet });
    expect(first.applied).toHaveLength(2);
    const second = await deployMigrations(replayUrl, { migrationsDir, ...quiet });
    expect(second.applied).toEqual([]);
    const status = await migrationStatus(replayUrl, { migrationsDir });
    expect(status).toMatchObject({ pending: [], failed: [], edited: [], unknown: [], hasMigrationsTable: true });
  });

  it("reset drops the data and re-applies every migration", async () => {
    await withClient(replayUrl, (client) => client.query(`INSERT INTO "Widget" (id, name) VALUES ('w1', 'one')`));
    const { applied } = await resetDatabase(replayUrl, { migrationsDir, ...quiet });
    expect(applied).toHaveLength(2);
    const count = await withClient(replayUrl, async (client) => (await client.query(`SELECT count(*)::int AS n FROM "Widget"`)).rows[0].n);
    expect(count).toBe(0);
  });

  it("leaves no shadow databases behind", async () => {
    const names = await withClient(url, async (client) =>
      (await client.query("SELECT datname FROM pg_database WHERE datname LIKE '%\\_shadow\\_%'")).rows,
    );
    expect(names).toEqual([]);
  });
});
