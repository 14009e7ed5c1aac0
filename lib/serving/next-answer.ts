import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  NEXT_ROUTER_PREFETCH_HEADER,
  NEXT_ROUTER_SEGMENT_PREFETCH_HEADER,
  NEXT_ROUTER_STATE_TREE_HEADER,
  RSC_HEADER,
} from "next/dist/client/components/app-router-headers";
import compression from "next/dist/compiled/compression";
import { releaseCompressionStream } from "next/dist/server/lib/release-compression-stream";
import { STATIC_SECURITY_HEADERS } from "@/lib/security/headers";

/**
 * What `next start` adds to a route handler's answer, for the invoke proxy's Node
 * fast path (node-invoke.ts), which answers before Next and must answer the same
 * (e2e/invoke-fast-path.spec.ts compares the two, header by header):
 *
 * - the security headers of next.config.js (the same list: lib/security/static-headers.json);
 * - the App Router's `Vary` (base-server's setVaryHeader: every App Router answer gets it);
 * - Next's compression middleware (the `compression` package Next bundles, as Next
 *   applies it to every answer; next.config.js keeps `compress` at its default, on):
 *   gzip for answers over 1 KB to callers that accept it, and `Vary: Accept-Encoding`;
 * - the answer's own headers as Next's sendResponse copies them: a name already set
 *   keeps its value, except the ones Next lets repeat.
 *
 * The Next modules used are the ones `next start` itself runs (its compiled
 * compression and the Vary names), so an upgrade that changes them changes both paths.
 */

const APP_ROUTER_VARY = `${RSC_HEADER}, ${NEXT_ROUTER_STATE_TREE_HEADER}, ${NEXT_ROUTER_PREFETCH_HEADER}, ${NEXT_ROUTER_SEGMENT_PREFETCH_HEADER}`;

/** As Next's sendResponse: these may be sent more than once; other names keep the first value set. */
const REPEATABLE = new Set(["set-cookie", "www-authenticate", "proxy-authenticate", "vary"]);

const compress = compression();

/** Prepares `res` as Next has prepared it when a route handler's answer is sent. */
export function prepareLikeNext(req: IncomingMessage, res: ServerResponse): void {
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.setHeader(name, value);
  compress(req, res, () => undefined);
  // As in Next: on a client disconnect the middleware never ends its zlib stream.
  res.once("close", () => {
    if (!res.writableFinished) releaseCompressionStream(res);
  });
  res.appendHeader("vary", APP_ROUTER_VARY);
}

/** Sets an answer's headers on `res` as Next's sendResponse copies a Response's. */
export function setAnswerHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (REPEATABLE.has(name.toLowerCase())) res.appendHeader(name, value);
    else if (res.getHeader(name) === undefined) res.setHeader(name, value);
  }
}
