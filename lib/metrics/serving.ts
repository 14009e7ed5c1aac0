import "server-only";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { canonicalFunctionId, getServingCache, type ServingContent } from "@/lib/serving/cache";
import type { ProxyAnswer } from "@/lib/serving/http";
import { MODELPIN_ENVIRONMENT_HEADER } from "@/lib/serving/schemas";
import { decodeParam } from "@/lib/url";
import { servingMetrics } from "./registry";

/**
 * The serving hooks: the invoke proxy and the resolve API report each answer
 * here (one line at each entry point). Label values are bounded against the
 * serving cache: a function or environment it does not know is "(unknown)",
 * so a caller typing random ids cannot grow the number of series.
 */

export const UNKNOWN_LABEL = "(unknown)";
/** The environment of a proxy answer given before the token was known (401, malformed path). */
export const NO_ENVIRONMENT_LABEL = "(none)";

export type ProxyObservation = { environment: string; functionId: string; status: number; seconds: number };
export type ResolveObservation = { environment: string; status: number; seconds: number };

/** The label of an environment slug: itself when the serving cache knows it. */
export function environmentLabel(content: ServingContent | null, slug: string): string {
  if (slug === "") return NO_ENVIRONMENT_LABEL;
  return content?.environmentsBySlug.has(slug) ? slug : UNKNOWN_LABEL;
}

/** The label of a function id as a caller wrote it: the stored id when the serving cache knows it. */
export function functionLabel(content: ServingContent | null, functionId: string): string {
  if (!content || functionId === "") return UNKNOWN_LABEL;
  const id = canonicalFunctionId(functionId);
  return content.functionIds.has(id) ? id : UNKNOWN_LABEL;
}

function cachedContent(): ServingContent | null {
  return getServingCache().snapshot?.content ?? null;
}

export function observeProxy({ environment, functionId, status, seconds }: ProxyObservation): void {
  const content = cachedContent();
  const env = environmentLabel(content, environment);
  const fn = functionLabel(content, functionId);
  const m = servingMetrics();
  m.proxyRequests.inc({ environment: env, function: fn, status: String(status) });
  m.proxyDuration.observe({ environment: env, function: fn }, seconds);
}

export function observeResolve({ environment, status, seconds }: ResolveObservation): void {
  const env = environmentLabel(cachedContent(), environment);
  const m = servingMetrics();
  m.resolveRequests.inc({ environment: env, status: String(status) });
  m.resolveDuration.observe({ environment: env }, seconds);
}

/**
 * Runs the invoke proxy and reports its answer: the environment is the one
 * the answer names (X-Modelpin-Environment, empty before the token is known).
 */
export async function measureProxy(rawFunctionId: string, answer: () => Promise<ProxyAnswer>): Promise<ProxyAnswer> {
  if (!metricsOn()) return answer();
  const started = performance.now();
  const response = await answer();
  const seconds = (performance.now() - started) / 1000;
  safely(() =>
    observeProxy({ environment: response.headers[MODELPIN_ENVIRONMENT_HEADER] ?? "", functionId: decodeParam(rawFunctionId), status: response.status, seconds }),
  );
  return response;
}

/** Runs a resolve request and reports its answer under the environment of the path. */
export async function measureResolve(rawSlug: string, answer: () => Promise<Response>): Promise<Response> {
  if (!metricsOn()) return answer();
  const started = performance.now();
  const response = await answer();
  const seconds = (performance.now() - started) / 1000;
  safely(() => observeResolve({ environment: decodeParam(rawSlug), status: response.status, seconds }));
  return response;
}

/** Nothing is counted while /metrics is off (MODELPIN_METRICS_TOKEN unset). */
function metricsOn(): boolean {
  return env().MODELPIN_METRICS_TOKEN !== undefined;
}

/** Counting must never cost a caller their answer. */
function safely(observe: () => void): void {
  try {
    observe();
  } catch (err) {
    logger.warn({ err }, "metrics: could not record a serving answer");
  }
}
