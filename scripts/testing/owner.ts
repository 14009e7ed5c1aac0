/**
 * The owner role's connection for the few integration tests that need owner
 * powers: tampering with the audit log as an attacker with the owner's
 * password would (disabling its triggers), creating databases, creating and
 * dropping job queues. Everything else connects as the app role
 * (`inject("databaseUrl")`, DATABASE_URL), as the app does.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { inject } from "vitest";

import { PrismaClient } from "@/lib/generated/prisma/client";
import { withClient } from "@/lib/db/pg-client";

/** The owner role's URL of the test database. */
export function ownerDatabaseUrl(): string {
  return inject("ownerDatabaseUrl");
}

/** Run `fn` with a plain pg client connected as the owner, closed afterwards. */
export function withOwnerClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(ownerDatabaseUrl(), fn);
}

/** A Prisma client connected as the owner; the caller `$disconnect()`s it. */
export function createOwnerPrisma(): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: ownerDatabaseUrl(), max: 2 }) });
}
