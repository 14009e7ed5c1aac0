import "server-only";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Readable, pipeline } from "node:stream";
import { logger } from "@/lib/logger";
import type { ProxyAnswer } from "./http";
import { prepareLikeNext, setAnswerHeaders } from "./next-answer";
import { serveInvoke, type InvokeRequest } from "./proxy";

/**
 * The invoke proxy's Node fast path (production only; docs/serving.md, "Performance").
 *
 * Next's own handling of a POST route handler — routing, turning the Node request
 * into a web Request with a body stream, the App Router's wrapping, piping the
 * Response back — cost more than everything the proxy itself does. So each HTTP
 * server of the process gets a `request` listener in front of Next's: a
 * `POST /v1/functions/{id}/invoke` with a plain function id is answered here, by
 * the same `serveInvoke` the route handler calls (lib/serving/proxy.ts); every
 * other request goes to Next's listener unchanged, in the same tick.
 *
 * Left to Next (and so answered exactly as before): other methods (405, HEAD,
 * OPTIONS), a path with a %-escape, dots or anything a function id cannot hold
 * (400/404 from proxy.ts or the route), a trailing slash (Next's redirect), an
 * absolute-form request target.
 *
 * The server is found through Node's `http.server.request.start` diagnostics
 * channel, which names it with each request before the server emits `request`:
 * the first request a server receives after `installInvokeFastPath` installs the
 * listener, and is itself already answered by it. No prototype is patched and
 * Next's code is not touched; the cost for other requests is one string test.
 */

/** The paths answered here: a plain function id (what FUNCTION_ID_PATTERN accepts), an optional query. */
const INVOKE_TARGET = /^\/v1\/functions\/([A-Za-z0-9][A-Za-z0-9_-]{0,199})\/invoke(?:\?|$)/;
const PREFIX = "/v1/functions/";

/** The function id when the fast path answers this request, else null (Next answers it). */
export function fastInvokeFunctionId(method: string | undefined, url: string | undefined): string | null {
  if (method !== "POST" || url === undefined || !url.startsWith(PREFIX)) return null;
  return INVOKE_TARGET.exec(url)?.[1] ?? null;
}

/** Answers the request when it is the fast path's (true), else leaves it alone (false). */
export function handleInvokeRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const functionId = fastInvokeFunctionId(req.method, req.url);
  if (functionId === null) return false;
  void answer(req, res, functionId);
  return true;
}

async function answer(req: IncomingMessage, res: ServerResponse, functionId: string): Promise<void> {
  let reply: ProxyAnswer;
  try {
    reply = await serveInvoke(nodeInvokeRequest(req, res), functionId);
  } catch (err) {
    // serveInvoke answers its own failures (500 with a request id); this is a last resort, as Next's own.
    logger.error({ err }, "invoke proxy (Node fast path) failed");
    reply = { status: 500, headers: { "content-type": "text/plain; charset=utf-8" }, body: "Internal Server Error" };
  }
  writeAnswer(req, res, reply);
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new Error("The caller closed the connection before the whole body arrived"));
    });
  });
}

/** A Node request as the proxy reads it, with what Next would give the route handler. */
function nodeInvokeRequest(req: IncomingMessage, res: ServerResponse): InvokeRequest {
  // Aborted when the answer cannot be finished any more (the caller went away), as Next's request.signal is.
  // A body cut off by the caller aborts it too (then the body's read fails with the signal aborted).
  const controller = new AbortController();
  const abort = () => controller.abort(new DOMException("The caller went away", "AbortError"));
  res.once("close", () => {
    if (!res.writableFinished) abort();
  });
  req.once("close", () => {
    if (!req.complete) abort();
  });
  return {
    // As `new URL(request.url).search` in the route: WHATWG's parsing and escaping of the query.
    search: new URL(req.url!, "http://localhost").search,
    header: (name) => header(req, name),
    stream: () => req,
    bytes: () => readBody(req),
    signal: controller.signal,
    // Once the answer's last byte is handed to the socket ("finish"); not when the caller went away first.
    afterAnswer: (task) => res.once("finish", task),
  };
}

/**
 * Writes the answer as `next start` writes a route handler's Response (next-answer.ts):
 * its security headers, Vary and compression, then the answer's headers. Text and bytes
 * go out in one `end`, so with a Content-Length (Next streams them chunked) and, under
 * the compression middleware's 1 KB threshold, not gzipped (Next's streamed write
 * gzips any size for a caller that accepts gzip).
 */
function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: ProxyAnswer): void {
  const body = answer.body;
  if (res.destroyed) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => undefined);
    else if (body instanceof Readable) body.destroy();
    return;
  }
  prepareLikeNext(req, res);
  setAnswerHeaders(res, answer.headers);
  res.statusCode = answer.status;
  if (body === null || typeof body === "string" || body instanceof Uint8Array) {
    // Set here, not left to `end`: the compression middleware sends the head before `end` would add it
    // (and takes it off again when it compresses).
    if (body !== null) res.setHeader("content-length", typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
    res.end(body ?? undefined);
    return;
  }
  const source = body instanceof Readable ? body : Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>);
  pipeline(source, res, () => undefined);
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const INSTALLED = Symbol.for("modelpin.invokeFastPath");
type Marked = { [INSTALLED]?: true };

/** Puts the fast path in front of `server`'s request listeners (once per server). */
export function wrapServer(server: Server): void {
  const marked = server as Server & Marked;
  if (marked[INSTALLED]) return;
  marked[INSTALLED] = true;
  const next = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  server.on("request", function (this: Server, req: IncomingMessage, res: ServerResponse) {
    if (handleInvokeRequest(req, res)) return;
    for (const listener of next) listener.call(this, req, res);
  });
}

const GLOBAL_KEY = Symbol.for("modelpin.invokeFastPath.subscribed");

/** Starts answering invoke requests ahead of Next in every HTTP server of this process (once). */
export function installInvokeFastPath(): void {
  const g = globalThis as typeof globalThis & { [GLOBAL_KEY]?: true };
  if (g[GLOBAL_KEY]) return;
  g[GLOBAL_KEY] = true;
  subscribe("http.server.request.start", (message) => {
    const { server } = message as { server?: Server };
    if (server && !(server as Server & Marked)[INSTALLED]) wrapServer(server);
  });
}
