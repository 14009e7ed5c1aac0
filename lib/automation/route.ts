import "server-only";
import type { z } from "zod";
import { tokenContext, type ServiceContext } from "@/lib/context";
import { routeShell, type Segment } from "@/lib/api/route-shell";
import { GateRefusedError, isExpectedError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { authenticateToken, missingScope } from "@/lib/serving/auth";
import { currentSnapshot, type EnvironmentEntry, type TokenEntry } from "@/lib/serving/cache";
import { jsonText } from "@/lib/serving/http";
import { API_ERROR_CODES, type ApiErrorCode } from "@/lib/serving/schemas";
import { isDatabaseUnavailable } from "@/lib/serving/unavailable";
import type { TokenScope } from "@/lib/tokens/scopes";
import { decodeParam } from "@/lib/url";
import { NUL_MESSAGE, containsNul, fieldErrorsOf } from "@/lib/validation";
import { automationErrorSchema } from "./schemas";

/**
 * The one wrapper of the automation API (issue 19): token-authenticated JSON
 * routes under /api/v1 that call the same services as the dashboard. In order:
 * the deployment role (404 on a serving instance), the token (401 with the
 * serving API's codes), the scope (403 `scope_missing` naming it), the path
 * params (404), the JSON body (400 with field errors), then the handler with a
 * ServiceContext whose actor is `token: <name>`. Errors answer the serving
 * API's shape, `{ "error": { "code", "message", "fieldErrors"?, "rule"?, "requestId" } }`,
 * and every answer carries `x-request-id`. No cookie is read: a browser
 * session cannot reach these routes, so no origin check is needed.
 */
export type TokenRouteContext<P, B> = {
  request: Request;
  token: TokenEntry;
  environment: EnvironmentEntry;
  service: ServiceContext;
  params: P;
  body: B;
  requestId: string;
};

export type TokenRouteOptions<P, B> = {
  scope: TokenScope;
  params?: z.ZodType<P>;
  /** A JSON body (at most 64 KB). Omit for GET and for multipart routes, which read the request themselves. */
  body?: z.ZodType<B>;
  notFound?: string;
};

const BODY_MAX_BYTES = 64 * 1024;

const KNOWN_CODES = new Set<string>(API_ERROR_CODES);
const CODE_BY_STATUS: Record<number, ApiErrorCode> = {
  400: "invalid_input",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "invalid_input",
  502: "nyckel_unreachable",
  503: "unavailable",
};

/** An error answer of the automation API. */
export function automationError(
  status: number,
  code: string,
  message: string,
  requestId: string,
  extra: { fieldErrors?: Record<string, string[]>; rule?: string } = {},
): Response {
  const known = (KNOWN_CODES.has(code) ? code : (CODE_BY_STATUS[status] ?? (status >= 500 ? "internal" : "invalid_input"))) as ApiErrorCode;
  const fieldErrors = extra.fieldErrors && Object.keys(extra.fieldErrors).length ? extra.fieldErrors : undefined;
  const body = automationErrorSchema.parse({ error: { code: known, message, ...(fieldErrors ? { fieldErrors } : {}), ...(extra.rule ? { rule: extra.rule } : {}), requestId } });
  const auth: Record<string, string> = status === 401 ? { "www-authenticate": 'Bearer realm="modelpin", error="invalid_token"' } : {};
  return jsonText(JSON.stringify(body), status, { "cache-control": "no-store", "x-request-id": requestId, ...auth });
}

/** A JSON answer of the automation API. */
export function automationJson(value: unknown, status: number, requestId: string): Response {
  return jsonText(JSON.stringify(value), status, { "cache-control": "no-store", "x-request-id": requestId });
}

async function readJson<B>(request: Request, schema: z.ZodType<B>, requestId: string): Promise<{ ok: true; body: B } | { ok: false; response: Response }> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    return { ok: false, response: automationError(415, "unsupported_media_type", "Send a JSON body with `Content-Type: application/json`.", requestId) };
  }
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > BODY_MAX_BYTES) return { ok: false, response: automationError(413, "payload_too_large", "The JSON body is larger than 64 KB.", requestId) };
  const text = await request.text();
  if (Buffer.byteLength(text) > BODY_MAX_BYTES) return { ok: false, response: automationError(413, "payload_too_large", "The JSON body is larger than 64 KB.", requestId) };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, response: automationError(400, "invalid_input", "The body is not valid JSON.", requestId) };
  }
  if (containsNul(raw)) return { ok: false, response: automationError(400, "invalid_input", NUL_MESSAGE, requestId) };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fieldErrors = fieldErrorsOf(parsed.error);
    return { ok: false, response: automationError(400, "invalid_input", Object.values(fieldErrors).flat().join(" ") || "Check the request body.", requestId, { fieldErrors }) };
  }
  return { ok: true, body: parsed.data };
}

export function tokenRoute<P = Record<string, never>, B = undefined>(
  options: TokenRouteOptions<P, B>,
  handler: (ctx: TokenRouteContext<P, B>) => Promise<Response>,
): (request: Request, segment: Segment) => Promise<Response> {
  return routeShell(
    async (request, segment, requestId) => {
      const snapshot = await currentSnapshot();
      const auth = authenticateToken(snapshot, request.headers.get("authorization"));
      if (!auth.ok) return automationError(401, auth.code, auth.message, requestId);
      const noScope = missingScope(auth.token, options.scope);
      if (noScope) return automationError(403, noScope.code, noScope.message, requestId);

      const rawParams = Object.fromEntries(Object.entries(await segment.params).map(([k, v]) => [k, typeof v === "string" ? decodeParam(v) : v]));
      let params = {} as P;
      if (options.params) {
        const parsed = containsNul(rawParams) ? null : options.params.safeParse(rawParams);
        if (!parsed?.success) return automationError(404, "not_found", options.notFound ?? "Not found.", requestId);
        params = parsed.data;
      }
      let body = undefined as B;
      if (options.body) {
        const read = await readJson(request, options.body, requestId);
        if (!read.ok) return read.response;
        body = read.body;
      }
      const service = tokenContext(auth.token, requestId);
      return await handler({ request, token: auth.token, environment: auth.environment, service, params, body, requestId });
    },
    (e, request, requestId) => {
      if (e instanceof GateRefusedError) return automationError(422, "gate_refused", e.message, requestId, { rule: e.rule });
      if (isExpectedError(e)) return automationError(e.status, e.code, e.message, requestId, { fieldErrors: e.fieldErrors });
      if (isDatabaseUnavailable(e)) return automationError(503, "unavailable", "Modelpin cannot reach its database right now. Try again in a moment.", requestId);
      logger.error({ err: e, requestId, path: new URL(request.url).pathname }, "automation API failed");
      return automationError(500, "internal", `Something went wrong on our side. If it keeps happening, report request id ${requestId}.`, requestId);
    },
  );
}
