import { metricsResponse } from "@/lib/metrics/endpoint";

/**
 * GET /metrics — Prometheus' text format, for operators (README "Metrics").
 * Off (404) unless MODELPIN_METRICS_TOKEN is set; then `Authorization: Bearer <token>`.
 */
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return metricsResponse(request);
}
