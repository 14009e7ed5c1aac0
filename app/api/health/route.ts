import type { HealthResponse } from "@/lib/api/schemas";

/**
 * GET /api/health → 200 `{"status":"ok"}` (documented in /api/openapi.json).
 *
 * A liveness check for load balancers, and the baseline of `npm run bench:api`:
 * a route handler that does nothing but answer — no database, no session, no
 * Nyckel — so its throughput is what the framework itself costs per request.
 * It says the instance is up and serving, not that PostgreSQL or Nyckel are.
 */
export const dynamic = "force-dynamic";

const BODY = JSON.stringify({ status: "ok" } satisfies HealthResponse);

export function GET(): Response {
  return new Response(BODY, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}
