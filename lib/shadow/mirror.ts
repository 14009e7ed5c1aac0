import "server-only";
import { createHash } from "node:crypto";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import type { NyckelClient } from "@/lib/nyckel/client";
import { isBudgetExhausted } from "@/lib/nyckel/budget/budget";
import { getNyckelBudget } from "@/lib/nyckel/budget/service";
import { passthrough, type PassthroughAnswer } from "@/lib/nyckel/passthrough";
import { readOutcome } from "./answer";
import { activeShadow, type ShadowEntry } from "./cache";
import { disagrees, getShadowRecorder } from "./recorder";
import { SHADOW_LIMITS } from "./schemas";

/**
 * Mirroring in the invoke proxy (docs/shadow.md). The proxy asks, per request:
 *
 * 1. `sampleShadow(environmentId, functionId)` — synchronous, from the in-memory cache:
 *    the shadow active for this environment and function, when this request falls in its
 *    share (random sampling), else null. Counts the request as seen (and sampled).
 * 2. It reads bodies up to SHADOW_LIMITS.maxBodyBytes into memory for a sampled request
 *    (Nyckel receives the same bytes either way); a larger or unknown-length body is
 *    `dropTooLarge`.
 * 3. After the caller's answer has been sent, `mirror(...)` runs: the per-second cap, then
 *    a permit of the budget's lowest class, `tryAcquire("shadow")` (acquireNow that also counts
 *    a refusal as shadow demand, so the next lease renewal gives shadow a share when batch and
 *    serving leave one) — none free at once: the mirror is dropped and counted, never queued — then the candidate is invoked with the
 *    same body and query, `capture=false` and the candidate's `modelId`, and both answers
 *    go to the recorder. Nothing here can reach the caller: every failure is recorded.
 */

export const MIRROR_BODY_MAX_BYTES = SHADOW_LIMITS.maxBodyBytes;

const perSecond = new Map<string, { second: number; count: number }>();

/** The shadow to mirror this request to, or null (not active, or not in the share). */
export function sampleShadow(environmentId: string, functionId: string, now = Date.now(), random: () => number = Math.random): ShadowEntry | null {
  const shadow = activeShadow(environmentId, functionId, now);
  if (!shadow) return null;
  const sampled = shadow.share >= 1 || random() < shadow.share;
  getShadowRecorder().countSeen(shadow.id, sampled, now);
  return sampled ? shadow : null;
}

export function dropTooLarge(shadow: ShadowEntry): void {
  getShadowRecorder().countDrop(shadow.id, "too_large");
}

function withinCap(shadow: ShadowEntry, now: number): boolean {
  const second = Math.floor(now / 1000);
  const slot = perSecond.get(shadow.id);
  if (!slot || slot.second !== second) {
    perSecond.set(shadow.id, { second, count: 1 });
    if (perSecond.size > 1000) for (const [id, s] of perSecond) if (s.second !== second) perSecond.delete(id);
    return true;
  }
  if (slot.count >= shadow.maxPerSecond) return false;
  slot.count++;
  return true;
}

/** The caller's query without modelId (split by the proxy) with capture=false and the candidate's modelId. */
export function candidateQuery(rest: readonly string[], candidateModelId: string): string {
  const kept = rest.filter((pair) => {
    const eq = pair.indexOf("=");
    return (eq === -1 ? pair : pair.slice(0, eq)).trim().toLowerCase() !== "capture";
  });
  return [...kept, "capture=false", `modelId=${encodeURIComponent(candidateModelId)}`].join("&");
}

export type MirrorJob = {
  shadow: ShadowEntry;
  client: NyckelClient;
  functionId: string;
  body: Uint8Array;
  contentType: string | null;
  /** The caller's query pairs without modelId. */
  rest: readonly string[];
  servedModelId: string;
  served: { status: number; body: PassthroughAnswer["body"] | string; latencyMs: number };
  at: number;
};

/** Runs one mirror (after the caller's answer). Never throws. */
export async function mirror(job: MirrorJob): Promise<void> {
  const recorder = getShadowRecorder();
  const { shadow } = job;
  const now = Date.now();
  if (!withinCap(shadow, now)) {
    recorder.countDrop(shadow.id, "cap", now);
    return;
  }
  try {
    // Cached nearly always (the caller's request just used it); fetching one takes a shadow permit of its own.
    await job.client.accessToken("shadow");
  } catch (error) {
    if (isBudgetExhausted(error)) recorder.countDrop(shadow.id, "budget", now);
    else logger.warn({ err: error instanceof Error ? error.message : error }, "shadow mirror: no Nyckel access token");
    return;
  }
  const release = getNyckelBudget().tryAcquire("shadow");
  if (!release) {
    recorder.countDrop(shadow.id, "budget", now);
    return;
  }
  let candidate: { status: number; body: Uint8Array | string | null; latencyMs: number | null };
  const started = performance.now();
  try {
    const headers = new Headers({ accept: "application/json" });
    if (job.contentType) headers.set("content-type", job.contentType);
    const { answer } = await passthrough(job.client, {
      method: "POST",
      path: `/v1/functions/${encodeURIComponent(job.functionId)}/invoke`,
      search: candidateQuery(job.rest, shadow.candidateModelId),
      headers,
      body: job.body,
      timeoutMs: env().NYCKEL_TIMEOUT_MS,
    });
    let body: Uint8Array | string | null = null;
    if (answer.body instanceof ReadableStream) {
      body = new Uint8Array(await new Response(answer.body).arrayBuffer());
    } else body = answer.body;
    if (answer.status === 429) getNyckelBudget().reportNyckel429();
    candidate = { status: answer.status, body, latencyMs: performance.now() - started };
  } catch (error) {
    const code = (error as { code?: string }).code;
    candidate = { status: 0, body: code ?? "unreachable", latencyMs: null };
  } finally {
    release();
  }
  const servedOutcome = readOutcome(job.served.status, typeof job.served.body === "string" || job.served.body instanceof Uint8Array ? job.served.body : null);
  const candidateOutcome =
    candidate.status === 0 ? { label: null, confidence: null, error: String(candidate.body) } : readOutcome(candidate.status, candidate.body);
  const observation = {
    shadowId: shadow.id,
    at: job.at,
    servedModelId: job.servedModelId,
    served: { ...servedOutcome, latencyMs: job.served.latencyMs },
    candidate: { ...candidateOutcome, latencyMs: candidate.latencyMs },
    inputSha256: createHash("sha256").update(job.body).digest("hex"),
  };
  const keep = shadow.keepInputs && disagrees(observation);
  recorder.record(keep ? { ...observation, input: { contentType: job.contentType ?? "", body: job.body, query: job.rest.join("&") } } : observation);
}

/** `mirror` as a task for after the answer (errors only logged: nothing reaches the caller). */
export function mirrorTask(job: MirrorJob): () => void {
  return () => {
    mirror(job).catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : err }, "shadow mirror failed"));
  };
}
