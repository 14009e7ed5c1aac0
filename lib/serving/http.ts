import "server-only";
import { apiErrorSchema, proxyErrorSchema, type ApiErrorCode } from "./schemas";

/** JSON with the content type every client expects. */
export function jsonText(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
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
export function proxyError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string>): Response {
  const body = proxyErrorSchema.parse({ message, error: { code, message } });
  return jsonText(JSON.stringify(body), status, { "cache-control": "no-store", ...authHeaders(code), ...headers });
}
