/**
 * Pass-through requests to Nyckel for the invoke proxy: the caller's method,
 * path, query string, headers and body go to Nyckel as they are, with the
 * client's cached access token; Nyckel's answer (status, headers, streamed body)
 * comes back as a fetch Response, unread.
 *
 * Unlike NyckelClient's own calls this does NOT go through the client's rate
 * limiter and does not retry 429/5xx: Nyckel's limits and errors are the
 * caller's to see. The one exception is a 401 (the cached access token was
 * revoked or expired early): the token is dropped and the request is sent once
 * more with a fresh one — only when the body can be replayed (bytes, not a
 * stream); a streamed body's 401 is returned as it is.
 *
 * Reads no environment variables.
 */
import type { NyckelClient } from "./client";
import { NyckelError } from "./errors";

export type PassthroughRequest = {
  method: string;
  /** Path below the base URL, already percent-encoded, e.g. `/v1/functions/abc/invoke`. */
  path: string;
  /** Raw query string without `?` ("" for none). */
  search: string;
  /** Headers to send (the Authorization header is replaced by Nyckel's). */
  headers: Headers;
  /** Bytes can be replayed after a 401; a stream is sent once (`duplex: "half"`). */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Until the response headers arrive. */
  timeoutMs: number;
  /** The caller went away: abort the upstream request. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
};

export type PassthroughResult = {
  response: Response;
  /** HTTP attempts made (2 after a refreshed token). */
  attempts: number;
};

/** `NyckelError` codes thrown: "timeout" (no answer in time), "network" (unreachable), "unauthorized" (no token). */
export async function passthrough(client: NyckelClient, request: PassthroughRequest): Promise<PassthroughResult> {
  const doFetch = request.fetch ?? globalThis.fetch;
  const url = `${client.baseUrl}${request.path}${request.search ? `?${request.search}` : ""}`;
  const replayable = !(request.body instanceof ReadableStream);
  for (let attempt = 1; ; attempt++) {
    const token = await client.accessToken();
    const headers = new Headers(request.headers);
    headers.set("authorization", `Bearer ${token}`);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    const onCallerAbort = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) onCallerAbort();
    else request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    let response: Response;
    try {
      const init: RequestInit & { duplex?: "half" } = {
        method: request.method,
        headers,
        body: request.body as BodyInit | null,
        signal: controller.signal,
        redirect: "manual",
      };
      if (request.body instanceof ReadableStream) init.duplex = "half";
      response = await doFetch(url, init);
    } catch (error) {
      request.signal?.removeEventListener("abort", onCallerAbort);
      if (timedOut) {
        throw new NyckelError("timeout", `Nyckel did not answer within ${request.timeoutMs} ms (${request.method} ${request.path})`, {
          method: request.method,
          path: request.path,
          attempts: attempt,
        });
      }
      if (request.signal?.aborted) throw error;
      const detail = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new NyckelError("network", `Could not reach Nyckel (${request.method} ${request.path}): ${detail}`, {
        method: request.method,
        path: request.path,
        attempts: attempt,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
    // From here the body streams to the caller; a caller abort still cancels it.
    if (response.status === 401 && replayable && attempt === 1) {
      await response.body?.cancel().catch(() => undefined);
      request.signal?.removeEventListener("abort", onCallerAbort);
      client.dropAccessToken(token);
      continue;
    }
    return { response, attempts: attempt };
  }
}
