import "server-only";
import { requireDatabaseUrl } from "@/lib/env";
import { databaseBreaker } from "@/lib/db/guarded-pool";
import { getPgPool } from "@/lib/db/pool";

export type DatabaseHealth =
  | { ok: true; latencyMs: number }
  | { ok: false; reason: "breaker-open" | "unreachable" | "not-configured"; message: string };

/**
 * Can this process reach PostgreSQL now? Answers at once while the breaker is
 * open (lib/db/breaker.ts), else runs `SELECT 1` through the process's small
 * pool, so the answer comes within the connect or statement timeout.
 */
export async function checkDatabase(): Promise<DatabaseHealth> {
  let url: string;
  try {
    url = requireDatabaseUrl();
  } catch {
    return { ok: false, reason: "not-configured", message: "DATABASE_URL is not set." };
  }
  const breaker = databaseBreaker(url);
  if (breaker.isOpen) {
    const seconds = Math.round((breaker.openForMs ?? 0) / 1000);
    return { ok: false, reason: "breaker-open", message: `PostgreSQL has not answered for ${seconds} s; queries fail at once until it answers again.` };
  }
  const started = performance.now();
  try {
    await getPgPool().query("SELECT 1");
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, reason: "unreachable", message: `PostgreSQL did not answer: ${error instanceof Error ? error.message : String(error)}` };
  }
}
