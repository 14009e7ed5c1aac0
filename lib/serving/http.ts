import "server-only";
import type { Readable } from "node:stream";
import { apiErrorSchema, proxyErrorSchema, type ApiErrorCode } from "./schemas";

const JSON_TYPE = "application/json; charset=utf-8";

/** JSON with the content type every client expects. */
export function jsonText(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": JSON_TYPE, ...headers } });
}

/**
 * An answer of the invoke proxy before it goes out: the route handler turns it
 * into a web Response (`answerResponse`), the Node fast path writes it to the
 * Node response itself (lib/serving/node-invoke.ts). Header names as written
 * here; a body is text, bytes, a stream (large Nyckel answers) or nothing.
 */
export type ProxyAnswer = {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | ReadableStream<Uint8Array> | Readable | null;
};

export function answerResponse(answer: ProxyAnswer): Response {
  return new Response(answer.body as BodyInit | null, { status: answer.status, headers: answer.headers });
}

export function jsonAnswer(body: string, status: number, headers: Record<string, string>): ProxyAnswer {
  return { status, headers: { "content-type": JSON_TYPE, ...headers }, body };
}

const WWW_AUTHENTICATE: Partial<Record<ApiErrorCode, string>> = {
  token_missing: 'Bearer realm="modelpin"',
  token_malformed: 'Bearer realm="modelpin", error="invalid_request"',
  token_invalid: 'Bearer realm="modelpin", error="invalid_token"',
  token_expired: 'Bearer realm="modelpin", error="invalid_token", error_description="The token expired"',
  token_revoked: 'Bearer realm="modelpin", error="invalid_token", error_description="The token was revoked"',
};

function authHeaders(code: ApiErrorCode): Record<string, string> {
  const value = WWW_AUTHENTICATE[code];
  return value ? { "www-authenticate": value } : {};
}

/** An error of the resolve API: `{ error: { code, message } }`. Never cached. */
export function apiError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const body = apiErrorSchema.parse({ error: { code, message } });
  return jsonText(JSON.stringify(body), status, { "cache-control": "no-store", ...authHeaders(code), ...headers });
}

/** An error of the invoke proxy itself: `{ message, error: { code, message } }`. */
export function proxyError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string>): ProxyAnswer {
  const body = proxyErrorSchema.parse({ message, error: { code, message } });
  return jsonAnswer(JSON.stringify(body), status, { "cache-control": "no-store", ...authHeaders(code), ...headers });
}
