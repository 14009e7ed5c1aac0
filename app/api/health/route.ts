import type { HealthResponse } from "@/lib/api/schemas";
import { env } from "@/lib/env";

/**
 * GET /api/health → 200 `{"status":"ok","role":"all"}` (documented in /api/openapi.json).
 *
 * A liveness check for load balancers, and the baseline of `npm run bench:api`:
 * a route handler that does nothing but answer — no database, no session, no
 * Nyckel — so its throughput is what the framework itself costs per request.
 * It says the instance is up and serving, and its MODELPIN_ROLE, not that
 * PostgreSQL or Nyckel are (GET /api/health/database checks PostgreSQL).
 */
export const dynamic = "force-dynamic";

let body: string | undefined;

export function GET(): Response {
  body ??= JSON.stringify({ status: "ok", role: env().role } satisfies HealthResponse);
  return new Response(body, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}
