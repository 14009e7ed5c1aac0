import { afterAll, describe, expect, it } from "vitest";
import { deployMigrations, runSeed } from "@/scripts/db/migrations";
import { withClient } from "@/lib/db/pg-client";
import { dropDatabase, ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";
import { ownerDatabaseUrl } from "@/scripts/testing/owner";
import { DEV_USERS } from "./dev-users";

/** `db:seed` in production creates no development sign-ins (their passwords are public), only the first admin when asked. */
describe("db:seed (real PostgreSQL, a database of its own)", () => {
  // Creating a database takes the owner role (the app role may not).
  const url = withDatabaseName(ownerDatabaseUrl(), "modelpin_seed_production");
  afterAll(() => dropDatabase(url));

  it("in production: environments, no development sign-ins, the first admin from MODELPIN_ADMIN_EMAIL once", async () => {
    await dropDatabase(url).catch(() => undefined);
    await ensureDatabase(url);
    await deployMigrations(url, { log: () => undefined });
    // A production configuration, as `npm run db:seed` on a server has it.
    const production: Record<string, string> = {
      NODE_ENV: "production",
      MODELPIN_ADMIN_EMAIL: "first.admin@example.com",
      AUTH_SECRET: "s".repeat(40),
      MODELPIN_ENCRYPTION_KEY: "ab".repeat(32),
      AUTH_TRUST_HOST: "true",
    };
    const env = process.env as Record<string, string | undefined>;
    const saved = Object.fromEntries(Object.keys(production).map((k) => [k, env[k]]));
    try {
      Object.assign(env, production);
      await runSeed(url, { log: () => undefined });
      await runSeed(url, { log: () => undefined }); // idempotent: no second admin
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
    }
    const { users, environments } = await withClient(url, async (c) => ({
      users: (await c.query<{ email: string; role: string }>("SELECT email, role FROM users ORDER BY email")).rows,
      environments: (await c.query<{ slug: string }>("SELECT slug FROM environments ORDER BY sort_order")).rows.map((r) => r.slug),
    }));
    expect(users).toEqual([{ email: "first.admin@example.com", role: "admin" }]);
    expect(users.some((u) => DEV_USERS.some((d) => d.email === u.email))).toBe(false);
    expect(environments).toEqual(["development", "staging", "production"]);
  }, 120_000);
});
