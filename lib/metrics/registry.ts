import "server-only";
import { Counter, Histogram, Registry } from "prom-client";

/**
 * The process's Prometheus registry and the serving metrics that request
 * handlers update (GET /metrics renders it; lib/metrics/collectors.ts adds the
 * gauges read at scrape time).
 *
 * Kept on globalThis: Next bundles the root proxy.ts (resolve fast path) and
 * the route handlers separately, and both must count into the same registry.
 *
 * Labels stay bounded: environments and functions are the ones the serving
 * cache knows (anything else is "(unknown)"), statuses are HTTP codes; never
 * raw paths, model ids or tokens.
 */

/** Latency buckets (seconds) of the invoke proxy: Nyckel's answer included. */
export const PROXY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Latency buckets (seconds) of the resolve API: usually the in-memory cache, sub-millisecond. */
export const RESOLVE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export type ServingMetrics = {
  registry: Registry;
  proxyRequests: Counter<"environment" | "function" | "status">;
  proxyDuration: Histogram<"environment" | "function">;
  resolveRequests: Counter<"environment" | "status">;
  resolveDuration: Histogram<"environment">;
};

function create(): ServingMetrics {
  const registry = new Registry();
  return {
    registry,
    proxyRequests: new Counter({
      name: "modelpin_proxy_requests_total",
      help: "Invoke proxy answers (POST /v1/functions/{functionId}/invoke) by environment, function and HTTP status.",
      labelNames: ["environment", "function", "status"],
      registers: [registry],
    }),
    proxyDuration: new Histogram({
      name: "modelpin_proxy_request_duration_seconds",
      help: "Invoke proxy time to the answer's headers (Nyckel included), by environment and function.",
      labelNames: ["environment", "function"],
      buckets: PROXY_BUCKETS,
      registers: [registry],
    }),
    resolveRequests: new Counter({
      name: "modelpin_resolve_requests_total",
      help: "Resolve API answers (GET /api/v1/environments/{environment}/pins[/{functionId}]) by environment and HTTP status.",
      labelNames: ["environment", "status"],
      registers: [registry],
    }),
    resolveDuration: new Histogram({
      name: "modelpin_resolve_request_duration_seconds",
      help: "Resolve API time to the answer, by environment.",
      labelNames: ["environment"],
      buckets: RESOLVE_BUCKETS,
      registers: [registry],
    }),
  };
}

const key = Symbol.for("modelpin.metrics");
const holder = globalThis as unknown as { [key]?: ServingMetrics };

/** The process's metrics, created on first use. */
export function servingMetrics(): ServingMetrics {
  holder[key] ??= create();
  return holder[key];
}
