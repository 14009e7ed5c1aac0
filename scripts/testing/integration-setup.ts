/**
 * Vitest setupFiles of the `integration` project: runs in every test file.
 *
 * The Nyckel budget is deployment-wide state in PostgreSQL (leases, the shared
 * back-off factor) and a per-process coordinator kept on globalThis. Test files
 * share one database and may share a worker process, so each file starts as a
 * fresh deployment would: no process budget, no leases, no back-off from an
 * earlier file's Nyckel 429s — and stops its own budget at the end.
 */
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { stopNyckelBudget } from "@/lib/nyckel/budget/service";

async function resetBudget(): Promise<void> {
  await stopNyckelBudget();
  const client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
  try {
    await client.query("DELETE FROM nyckel_budget_leases");
    await client.query("UPDATE nyckel_budget_state SET factor = 1, decreased_at = NULL");
  } finally {
    await client.end();
  }
}

beforeAll(resetBudget);
afterAll(() => stopNyckelBudget());
