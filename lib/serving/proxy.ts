import "server-only";
import type { Readable } from "node:stream";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { isBudgetExhausted, type Release } from "@/lib/nyckel/budget/budget";
import { getNyckelBudget } from "@/lib/nyckel/budget/service";
import { isNyckelError } from "@/lib/nyckel/errors";
import { measureProxy } from "@/lib/metrics/serving";
import { parseContentLength, passthrough, type PassthroughAnswer, type PassthroughRequest } from "@/lib/nyckel/passthrough";
import { MIRROR_BODY_MAX_BYTES, dropTooLarge, mirrorTask, sampleShadow } from "@/lib/shadow/mirror";
import { decodeParam } from "@/lib/url";
import { authenticateToken } from "./auth";
import { canonicalFunctionId, currentSnapshot, lookupPin, type EnvironmentEntry } from "./cache";
import { answerResponse, jsonAnswer, proxyError, type ProxyAnswer } from "./http";
import { forgetProxyNyckelClient, proxyNyckelClient } from "./nyckel";
import {
  FUNCTION_ID_PATTERN,
  LATEST_MODEL,
  MODELPIN_ENVIRONMENT_HEADER,
  MODELPIN_MODEL_HEADER,
  UNKNOWN_HEADER_VALUE,
  modelConflictErrorSchema,
} from "./schemas";
import { splitModelId, upstreamQuery } from "./query-params";
import { getUsageRecorder, type CallRecord } from "./usage";
import { isDatabaseUnavailable } from "./unavailable";

/**
 * The Nyckel-compatible invoke proxy: POST /v1/functions/{functionId}/invoke
 * with an environment token → Nyckel's invoke with the environment's pinned
 * modelId (none when the pin is latest). See docs/serving.md.
 *
 * One implementation, two entry points: the App Router route handler (a web
 * Request, `invokeRoute`) and, in production, the Node fast path that answers
 * before Next routes the request (lib/serving/node-invoke.ts). Both hand
 * `serveInvoke` an InvokeRequest and get a ProxyAnswer back, so status codes,
 * headers, bodies, metrics, usage counts and logs are the same code.
 */

/** What the proxy reads of a request, whichever server object carries it. */
export type InvokeRequest = {
  /** The query string with its `?` ("" for none), as `new URL(url).search` gives it. */
  search: string;
  /** A request header by its lower-case name, or null. */
  header(name: string): string | null;
  /** The body as a stream, not yet read (null: the request has none). */
  stream(): ReadableStream<Uint8Array> | Readable | null;
  /** The whole body (only called for a Content-Length up to REPLAYABLE_BODY_MAX_BYTES). */
  bytes(): Promise<Uint8Array>;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
  /** Runs `task` once the answer has been sent (shadow mirroring: never before, never delaying it). */
  afterAnswer(task: () => void): void;
};

/**
 * The route handler's answer is complete (bytes) when it is returned; the task runs in a later
 * turn of the event loop, so nothing it does can change the answer, and its Nyckel call is
 * asynchronous. (Next's `after` is not used: it does nothing outside Next's request scope.)
 */
function afterWebAnswer(task: () => void): void {
  setImmediate(task);
}

/** A web Request (the route handler) as an InvokeRequest. */
export function webInvokeRequest(request: Request): InvokeRequest {
  return {
    search: new URL(request.url).search,
    header: (name) => request.headers.get(name),
    stream: () => request.body,
    bytes: async () => new Uint8Array(await request.arrayBuffer()),
    signal: request.signal,
    afterAnswer: afterWebAnswer,
  };
}

/** The proxy's answer to a request, measured for /metrics (both entry points call this). */
export function serveInvoke(request: InvokeRequest, rawFunctionId: string): Promise<ProxyAnswer> {
  return measureProxy(rawFunctionId, () => proxyInvoke(request, rawFunctionId));
}

/** The route handler's POST. */
export async function invokeRoute(request: Request, rawFunctionId: string): Promise<Response> {
  return answerResponse(await serveInvoke(webInvokeRequest(request), rawFunctionId));
}

/** Bodies up to this size are read once into memory so they can be re-sent after a Nyckel 401; larger ones stream. */
export const REPLAYABLE_BODY_MAX_BYTES = 256 * 1024;

/** Request headers forwarded to Nyckel (never the caller's Authorization or cookies). */
const FORWARDED_REQUEST_HEADERS = ["content-type", "accept", "accept-language"];

/** Response headers passed back: these, plus `x-*` (not `x-modelpin-*`) and `ratelimit*`. */
const PASSED_RESPONSE_HEADERS = new Set(["content-type", "content-language", "content-disposition", "cache-control", "retry-after", "vary"]);

function modelpinHeaders(environment: string, modelId: string): Record<string, string> {
  return { [MODELPIN_ENVIRONMENT_HEADER]: environment, [MODELPIN_MODEL_HEADER]: modelId };
}

const UNIDENTIFIED = modelpinHeaders(UNKNOWN_HEADER_VALUE, UNKNOWN_HEADER_VALUE);

/** `name` in lower case. */
function passesBack(lower: string): boolean {
  if (PASSED_RESPONSE_HEADERS.has(lower)) return true;
  if (lower.startsWith("x-modelpin-") || lower === "x-powered-by") return false;
  return lower.startsWith("x-") || lower.startsWith("ratelimit");
}

/** What a Nyckel model id looks like, for counting refused requests under it. */
const MODEL_ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

function conflict(environment: EnvironmentEntry, functionId: string, pinned: string | null, requested: string): ProxyAnswer {
  const serves = pinned ? `pins ${functionId} to model ${pinned}` : `serves Nyckel's latest model for ${functionId} (no pin)`;
  const message =
    `The environment "${environment.slug}" ${serves}; this request asked for model ${requested}. ` +
    `Leave out modelId (Modelpin adds the pinned model), move the pin in Modelpin (a promotion request in protected environments), ` +
    `or ask an admin to allow caller model overrides for "${environment.slug}".`;
  const body = modelConflictErrorSchema.parse({
    message,
    error: { code: "model_conflict", message, environment: environment.slug, functionId, pinnedModelId: pinned, requestedModelId: requested },
  });
  return jsonAnswer(JSON.stringify(body), 409, { "cache-control": "no-store", ...modelpinHeaders(environment.slug, pinned ?? LATEST_MODEL) });
}

/** `bufferUpTo`: REPLAYABLE_BODY_MAX_BYTES, or MIRROR_BODY_MAX_BYTES for a request a shadow mirrors (the same bytes go to Nyckel either way). */
async function readBody(request: InvokeRequest, bufferUpTo: number): Promise<{ body: PassthroughRequest["body"]; length: number | null }> {
  const length = parseContentLength(request.header("content-length"));
  const stream = request.stream();
  if (stream === null || length === 0) return { body: null, length };
  if (length !== null && length <= bufferUpTo) return { body: await request.bytes(), length };
  return { body: stream, length };
}

async function proxyInvoke(request: InvokeRequest, rawFunctionId: string): Promise<ProxyAnswer> {
  try {
    return await invoke(request, rawFunctionId);
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      return proxyError(503, "unavailable", "Modelpin cannot reach its database right now and has nothing cached for this request. Retry shortly.", {
        ...UNIDENTIFIED,
        "retry-after": "1",
      });
    }
    if (request.signal.aborted) return proxyError(400, "invalid_input", "The request was aborted by the caller.", UNIDENTIFIED);
    const requestId = crypto.randomUUID();
    logger.error({ err: error, requestId }, "invoke proxy failed");
    return proxyError(500, "internal", `Something went wrong on our side. If it keeps happening, report request id ${requestId}.`, UNIDENTIFIED);
  }
}

async function invoke(request: InvokeRequest, rawFunctionId: string): Promise<ProxyAnswer> {
  const snapshot = await currentSnapshot();
  const auth = authenticateToken(snapshot, request.header("authorization"));
  if (!auth.ok) return proxyError(401, auth.code, auth.message, UNIDENTIFIED);
  const usage = getUsageRecorder();
  const now = Date.now();
  usage.recordTokenUse(auth.token.id, now);
  const environment = auth.environment;

  const functionId = decodeParam(rawFunctionId);
  if (!FUNCTION_ID_PATTERN.test(functionId)) {
    return proxyError(404, "not_found", `${JSON.stringify(functionId.slice(0, 80))} is not a Nyckel function id.`, modelpinHeaders(environment.slug, LATEST_MODEL));
  }
  const storedFunctionId = canonicalFunctionId(functionId);
  const pinned = lookupPin(snapshot.content, environment.id, functionId)?.modelId ?? null;
  const count = (modelId: string, error: boolean, refusal?: CallRecord["refusal"]) =>
    usage.recordCall({ tokenId: auth.token.id, environmentId: environment.id, functionId: storedFunctionId, modelId, error, refusal, at: now });

  const { rest, modelIds } = splitModelId(request.search.slice(1));
  const requested = [...new Set(modelIds.filter((m) => m !== ""))];
  if (requested.length > 1) {
    count(pinned ?? LATEST_MODEL, true);
    return proxyError(400, "invalid_input", "modelId was given more than once with different values.", modelpinHeaders(environment.slug, pinned ?? LATEST_MODEL));
  }
  let served = pinned;
  const asked = requested[0];
  if (asked !== undefined && asked !== pinned) {
    if (!environment.allowCallerModelOverride) {
      // Refusals are counted under the id asked for, when it is a well-formed id at all.
      count(MODEL_ID_SHAPE.test(asked) ? asked : "(malformed)", true);
      return conflict(environment, storedFunctionId, pinned, asked);
    }
    served = asked;
  }
  const servedKey = served ?? LATEST_MODEL;
  const countKey = MODEL_ID_SHAPE.test(servedKey) ? servedKey : "(malformed)";
  const headers = modelpinHeaders(environment.slug, servedKey);

  const client = await proxyNyckelClient();
  if (!client) {
    count(countKey, true);
    return proxyError(502, "nyckel_not_configured", "Nyckel is not configured in Modelpin yet: an admin sets the credentials in Settings → Nyckel.", headers);
  }

  const forwarded = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.header(name);
    if (value !== null) forwarded.set(name, value);
  }
  // Shadow evaluation (docs/shadow.md): chosen here from the in-memory cache, mirrored after the answer is sent.
  let shadow = sampleShadow(environment.id, storedFunctionId, now);
  const { body, length } = await readBody(request, shadow ? MIRROR_BODY_MAX_BYTES : REPLAYABLE_BODY_MAX_BYTES);
  if (body !== null && !(body instanceof Uint8Array) && length !== null) forwarded.set("content-length", String(length));
  if (shadow && body !== null && !(body instanceof Uint8Array)) {
    dropTooLarge(shadow);
    shadow = null;
  }
  const search = upstreamQuery(rest, served);

  // A permit of the Nyckel budget's serving class (docs/budget.md): the token first (cached
  // nearly always; fetching it takes a permit of its own), then the permit for the invoke.
  let upstream: PassthroughAnswer;
  let release: Release = () => undefined;
  const budget = getNyckelBudget();
  const started = performance.now();
  try {
    await client.accessToken("serving");
    // Nearly always a permit is free in this process: taken at once, with no promise, timer or listener.
    release = budget.acquireNow("serving") ?? (await budget.acquire("serving", { signal: request.signal }));
    ({ answer: upstream } = await passthrough(client, {
      method: "POST",
      path: `/v1/functions/${encodeURIComponent(functionId)}/invoke`,
      search,
      headers: forwarded,
      body,
      timeoutMs: env().NYCKEL_TIMEOUT_MS,
      signal: request.signal,
    }));
  } catch (error) {
    if (isBudgetExhausted(error)) {
      count(countKey, true, "budget");
      return proxyError(
        429,
        "budget_exhausted",
        "Modelpin's Nyckel budget has no room for this request right now (Nyckel's rate limit is shared by every Modelpin process). Retry after a second.",
        { ...headers, "retry-after": "1" },
      );
    }
    if (!isNyckelError(error)) throw error;
    count(countKey, true);
    if (error.code === "timeout") return proxyError(504, "nyckel_timeout", `Nyckel did not answer within ${env().NYCKEL_TIMEOUT_MS} ms.`, headers);
    if (error.code === "unauthorized") {
      forgetProxyNyckelClient();
      return proxyError(502, "nyckel_unauthorized", "Nyckel refused Modelpin's Nyckel credentials. An admin should check Settings → Nyckel.", headers);
    }
    logger.warn({ err: error.message }, "invoke proxy: Nyckel unreachable");
    return proxyError(502, "nyckel_unreachable", "Modelpin could not reach Nyckel. Retry shortly.", headers);
  } finally {
    release();
  }
  if (upstream.status === 429) budget.reportNyckel429();

  if (upstream.status === 401) {
    // Nyckel refused a fresh token too (or a streamed body could not be re-sent): Modelpin's
    // Nyckel credentials are the problem, not the caller's token.
    if (upstream.body instanceof ReadableStream) await upstream.body.cancel().catch(() => undefined);
    count(countKey, true);
    forgetProxyNyckelClient();
    return proxyError(
      502,
      "nyckel_unauthorized",
      "Nyckel refused Modelpin's access token. Retry the request; if it keeps happening, an admin should check Settings → Nyckel.",
      headers,
    );
  }

  count(countKey, upstream.status >= 400, upstream.status === 429 ? "nyckel429" : undefined);
  if (shadow) {
    if (upstream.body instanceof ReadableStream) dropTooLarge(shadow);
    else {
      const job = { shadow, client, functionId, body: body instanceof Uint8Array ? body : new Uint8Array(0), contentType: request.header("content-type"), rest, servedModelId: servedKey, at: now };
      request.afterAnswer(mirrorTask({ ...job, served: { status: upstream.status, body: upstream.body, latencyMs: performance.now() - started } }));
    }
  }
  return { status: upstream.status, headers: answerHeaders(upstream.headers, headers), body: upstream.body };
}

/** Nyckel's headers that pass back (repeats joined as one list), then Modelpin's own. */
function answerHeaders(raw: string[], modelpin: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!passesBack(name)) continue;
    const value = raw[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return Object.assign(out, modelpin);
}

/** Any method but POST on the invoke path: 405 JSON, with the headers every proxy answer carries. */
export function invokeMethodNotAllowed(): Response {
  return answerResponse(proxyError(405, "method_not_allowed", "Invoke with POST.", { ...UNIDENTIFIED, allow: "POST" }));
}
