/**
 * Pass-through requests to Nyckel for the invoke proxy: the caller's method,
 * path, query string, headers and body go to Nyckel as they are, with the
 * client's cached access token; Nyckel's answer (status, headers, body) comes
 * back as status, raw headers and body (bytes, or a stream for large answers).
 *
 * Unlike NyckelClient's own calls this does NOT go through the client's rate
 * limiter and does not retry 429/5xx: Nyckel's limits and errors are the
 * caller's to see. The one exception is a 401 (the cached access token was
 * revoked or expired early): the token is dropped and the request is sent once
 * more with a fresh one — only when the body can be replayed (bytes, not a
 * stream); a streamed body's 401 is returned as it is.
 *
 * This is the proxy's hot path, so it uses node:http(s) with a keep-alive agent
 * per Nyckel origin instead of fetch (measured by `npm run bench:api`: fetch's
 * request set-up and body handling cost about 0.3–0.4 ms per call more):
 * - a replayable body is written in one piece with its Content-Length; a stream
 *   (web, or the Node request itself on the proxy's Node fast path) is piped
 *   (chunked unless the caller gave a Content-Length);
 * - an answer with a Content-Length up to SMALL_ANSWER_MAX_BYTES is read into
 *   memory before returning (one buffer, no stream bridging, no intermediate
 *   Response: the proxy builds the one it sends); anything else streams to the
 *   caller as it arrives;
 * - a kept-alive connection the server closed while idle (ECONNRESET/EPIPE on
 *   a reused socket) is retried once on a new one when the body is replayable.
 *
 * A client made with `passthroughAgents` (a base URL an admin typed in Settings) connects
 * through those agents instead, which check every address they connect to (lib/net).
 *
 * Reads no environment variables.
 */
import http from "node:http";
import https from "node:https";
import { Readable, pipeline } from "node:stream";
import type { NyckelClient, PassthroughAgents } from "./client";
import { NyckelError } from "./errors";

export type PassthroughRequest = {
  method: string;
  /** Path below the base URL, already percent-encoded, e.g. `/v1/functions/abc/invoke`. */
  path: string;
  /** Raw query string without `?` ("" for none). */
  search: string;
  /** Headers to send (an Authorization header is replaced by Nyckel's). */
  headers: Headers;
  /** Bytes can be replayed after a 401; a stream (web or Node) is sent once. */
  body: Uint8Array | ReadableStream<Uint8Array> | Readable | null;
  /** Until the response headers arrive. */
  timeoutMs: number;
  /** The caller went away: abort the upstream request (and its answer's body). */
  signal?: AbortSignal;
};

export type PassthroughAnswer = {
  status: number;
  /** As received: name, value, name, value… (names in their original case, repeats kept). */
  headers: string[];
  /** Null for statuses without a body (and HEAD). Bytes when small, else a stream that must be consumed or cancelled. */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
};

export type PassthroughResult = {
  answer: PassthroughAnswer;
  /** HTTP attempts made (2 after a refreshed token or a stale kept-alive connection). */
  attempts: number;
};

/** Answers up to this size (by their Content-Length) are read whole before returning. */
export const SMALL_ANSWER_MAX_BYTES = 256 * 1024;

/** Idle kept-alive connections are closed after this (or earlier, when the server's Keep-Alive hint is shorter). */
const IDLE_SOCKET_MS = 4_000;

const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent {
  let agent = agents.get(url.origin);
  if (!agent) {
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" as const };
    agent = url.protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
    agents.set(url.origin, agent);
  }
  return agent;
}

/** Closes the kept-alive connections (tests, shutdown). */
export function closePassthroughConnections(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

type Attempt =
  | { kind: "answer"; response: http.IncomingMessage }
  | { kind: "timeout" }
  | { kind: "aborted"; reason: unknown }
  | { kind: "failed"; error: Error; staleConnection: boolean };

function send(url: URL, request: PassthroughRequest, headers: http.OutgoingHttpHeaders, agents: PassthroughAgents | null): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    const signal = request.signal;
    if (signal?.aborted) {
      resolve({ kind: "aborted", reason: signal.reason });
      return;
    }
    const options: http.RequestOptions = {
      method: request.method,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: agents ? (url.protocol === "https:" ? agents.https : agents.http) : agentFor(url),
    };
    const req = (url.protocol === "https:" ? https : http).request(options);
    let settled = false;
    const settle = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(attempt);
    };
    const timer = setTimeout(() => {
      settle({ kind: "timeout" });
      req.destroy();
    }, request.timeoutMs);
    const onAbort = () => {
      settle({ kind: "aborted", reason: signal?.reason });
      req.destroy();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (error: NodeJS.ErrnoException) => {
      const staleConnection = req.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE");
      settle({ kind: "failed", error, staleConnection });
    });
    req.on("response", (response) => settle({ kind: "answer", response }));

    const body = request.body;
    if (body === null) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else if (body instanceof Readable) pipeline(body, req, () => undefined);
    else {
      // Errors surface through req's "error" event; pipeline destroys both sides on either's failure.
      pipeline(Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>), req, () => undefined);
    }
  });
}

function readAll(message: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on("data", (chunk: Buffer) => chunks.push(chunk));
    message.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    message.on("error", reject);
    message.on("aborted", () => reject(new Error("Nyckel closed the connection before the whole answer arrived")));
  });
}

/** A Content-Length header's value as a number, or null when absent or not a plain decimal length. */
export function parseContentLength(value: string | null | undefined): number | null {
  const trimmed = value?.trim();
  return trimmed !== undefined && /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : null;
}

/** The Content-Length of raw headers (name, value, …), read without building Node's header object. */
function contentLength(rawHeaders: string[]): number | null {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 14 && rawHeaders[i]!.toLowerCase() === "content-length") return parseContentLength(rawHeaders[i + 1]);
  }
  return null;
}

/** The answer: small ones read whole, others streamed (ended when the caller goes away). */
async function toAnswer(message: http.IncomingMessage, method: string, signal: AbortSignal | undefined): Promise<PassthroughAnswer> {
  const status = message.statusCode ?? 502;
  const headers = message.rawHeaders;
  if (NULL_BODY_STATUSES.has(status) || method === "HEAD") {
    message.resume();
    return { status, headers, body: null };
  }
  const onAbort = () => message.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  const length = contentLength(headers);
  if (length !== null && length <= SMALL_ANSWER_MAX_BYTES) {
    try {
      const bytes = await readAll(message);
      return { status, headers, body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
  message.once("close", () => signal?.removeEventListener("abort", onAbort));
  return { status, headers, body: Readable.toWeb(message) as ReadableStream<Uint8Array> };
}

function outgoingHeaders(headers: Headers, token: string, body: PassthroughRequest["body"]): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  out.authorization = `Bearer ${token}`;
  if (body instanceof Uint8Array) out["content-length"] = String(body.byteLength);
  else if (body === null) delete out["content-length"];
  return out;
}

/** `NyckelError` codes thrown: "timeout" (no answer in time), "network" (unreachable), "unauthorized" (no token). */
export async function passthrough(client: NyckelClient, request: PassthroughRequest): Promise<PassthroughResult> {
  const url = new URL(`${client.baseUrl}${request.path}${request.search ? `?${request.search}` : ""}`);
  const replayable = request.body === null || request.body instanceof Uint8Array;
  let refreshed = false;
  let reconnected = false;
  for (let attempt = 1; ; attempt++) {
    const token = await client.accessToken();
    const result = await send(url, request, outgoingHeaders(request.headers, token, request.body), client.passthroughAgents);
    const details = { method: request.method, path: request.path, attempts: attempt };
    if (result.kind === "timeout") {
      throw new NyckelError("timeout", `Nyckel did not answer within ${request.timeoutMs} ms (${request.method} ${request.path})`, details);
    }
    if (result.kind === "aborted") {
      throw result.reason instanceof Error ? result.reason : new DOMException("The caller aborted the request", "AbortError");
    }
    if (result.kind === "failed") {
      if (result.staleConnection && replayable && !reconnected) {
        reconnected = true;
        continue;
      }
      throw new NyckelError("network", `Could not reach Nyckel (${request.method} ${request.path}): ${result.error.message}`, {
        ...details,
        cause: result.error,
      });
    }
    const message = result.response;
    if (message.statusCode === 401 && replayable && !refreshed) {
      message.resume();
      refreshed = true;
      client.dropAccessToken(token);
      continue;
    }
    try {
      return { answer: await toAnswer(message, request.method, request.signal), attempts: attempt };
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw new NyckelError("network", `Nyckel's answer broke off (${request.method} ${request.path}): ${(error as Error).message}`, {
        ...details,
        cause: error,
      });
    }
  }
}
