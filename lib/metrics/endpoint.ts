import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics } from "prom-client";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { registerBudgetMetrics, registerJobMetrics, registerPoolMetrics } from "./collectors";
import { servingMetrics } from "./registry";

/**
 * GET /metrics: the process's metrics in Prometheus' text format.
 * Off (404) unless MODELPIN_METRICS_TOKEN is set; then `Authorization: Bearer
 * <token>` is required (401 otherwise), compared in constant time. Outside the
 * dashboard's sign-in: a scraper has no session.
 */

const key = Symbol.for("modelpin.metrics.collectors");
const holder = globalThis as unknown as { [key]?: true };

function registry() {
  const { registry } = servingMetrics();
  if (!holder[key]) {
    // Only once metrics are scraped: the defaults watch the event loop and GC.
    collectDefaultMetrics({ register: registry });
    registerBudgetMetrics(registry);
    registerJobMetrics(registry);
    registerPoolMetrics(registry);
    holder[key] = true;
  }
  return registry;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Whether an Authorization header carries the token (constant time in the header's content). */
export function bearerMatches(header: string | null, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  // Compare digests: equal lengths, and no early exit on the first differing character.
  const equal = timingSafeEqual(digest(match?.[1] ?? ""), digest(token));
  return match !== null && equal;
}

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store", ...headers } });
}

export async function metricsResponse(request: Request): Promise<Response> {
  const token = env().MODELPIN_METRICS_TOKEN;
  if (!token) return error(404, "not_found", "Metrics are off: set MODELPIN_METRICS_TOKEN (at least 16 characters) to serve GET /metrics.");
  if (!bearerMatches(request.headers.get("authorization"), token)) {
    return error(401, "unauthorized", "Send the metrics token: `Authorization: Bearer <MODELPIN_METRICS_TOKEN>`.", {
      "www-authenticate": 'Bearer realm="modelpin-metrics"',
    });
  }
  try {
    const r = registry();
    return new Response(await r.metrics(), { status: 200, headers: { "content-type": r.contentType, "cache-control": "no-store" } });
  } catch (err) {
    logger.error({ err }, "metrics: collecting failed");
    return error(503, "unavailable", "Collecting the metrics failed; the server log has the cause. Retry shortly.");
  }
}
