import { checkDatabase } from "@/lib/health/queries";
import { env } from "@/lib/env";

/**
 * GET /api/health/database → 200 `{"status":"ok","database":"reachable",…}`
 * or 503 `{"status":"unavailable","database":"unreachable",…}` with a message.
 * For load balancers and operators, and for the error page (it tells "cannot
 * reach its database" from other errors). No session needed: it says only
 * whether PostgreSQL answers, within the database timeouts.
 */
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const health = await checkDatabase();
  const role = env().role;
  const body = health.ok
    ? { status: "ok", database: "reachable", latencyMs: health.latencyMs, role }
    : { status: "unavailable", database: "unreachable", reason: health.reason, message: health.message, role };
  return Response.json(body, { status: health.ok ? 200 : 503, headers: { "cache-control": "no-store", ...(health.ok ? {} : { "retry-after": "1" }) } });
}
