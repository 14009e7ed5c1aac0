import "server-only";
import type { z } from "zod";
import { can, type Permission } from "@/lib/auth/permissions";
import { getCurrentUser, type SessionUser } from "@/lib/session/current";
import { routeShell, type Segment } from "@/lib/api/route-shell";
import { userContext, type ServiceContext } from "@/lib/context";
import { isExpectedError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { isDatabaseUnavailable } from "@/lib/serving/unavailable";
import { NUL_MESSAGE, containsNul, fieldErrorsOf } from "@/lib/validation";
import { checkSameOrigin } from "./same-origin";

/**
 * The one wrapper of cookie-authenticated route handlers: the twin of the
 * server-action client (lib/actions). In order: the deployment role (404 on
 * a serving instance, lib/deployment/role.ts), the cross-site check on
 * unsafe methods (403 `forbidden_origin`), the session (401), the permission
 * (403), the path params (a malformed id → 404 with `notFound`) and the query
 * (400 with field errors), then the handler. Every failure answers one body,
 *
 *   { "error": { "code", "message", "fieldErrors"?, "requestId" } }
 *
 * and every answer carries `x-request-id`. Expected errors (lib/errors.ts)
 * keep their status and message; a database that cannot be reached is a 503;
 * anything else is logged and answered 500 naming the request id.
 * The token-authenticated `/api/v1/*` and `/v1/*` keep their own shapes.
 */
export type RouteContext<P, Q> = {
  request: Request;
  user: SessionUser;
  service: ServiceContext;
  params: P;
  query: Q;
  requestId: string;
};

type Schema<T> = z.ZodType<T>;

export type RouteOptions<P, Q> = {
  /** The permission the caller needs. */
  permission: Permission;
  /** Path params; a value that does not parse is a 404 with `notFound`. */
  params?: Schema<P>;
  /** Query string (first value of each key); a value that does not parse is a 400. */
  query?: Schema<Q>;
  /** The 404 message for malformed path params. */
  notFound?: string;
};

/** The one error body; `extra` adds top-level fields beside `error` (e.g. an upload's preview). */
export function routeError(
  status: number,
  code: string,
  message: string,
  requestId: string,
  fieldErrors?: Record<string, string[]>,
  extra?: Record<string, unknown>,
): Response {
  const error = fieldErrors && Object.keys(fieldErrors).length > 0 ? { code, message, fieldErrors, requestId } : { code, message, requestId };
  return Response.json({ ...extra, error }, { status, headers: { "cache-control": "no-store", "x-request-id": requestId } });
}

const CODES: Record<number, string> = { 400: "invalid_input", 404: "not_found", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 503: "unavailable" };

/** The error code of a status a handler decided on itself. */
export function codeForStatus(status: number): string {
  return CODES[status] ?? (status >= 500 ? "internal" : "invalid_input");
}


export function route<P = Record<string, never>, Q = Record<string, never>>(
  options: RouteOptions<P, Q>,
  handler: (ctx: RouteContext<P, Q>) => Promise<Response>,
): (request: Request, segment: Segment) => Promise<Response> {
  return routeShell(
    async (request, segment, requestId) => {
      const origin = checkSameOrigin(request, process.env.AUTH_URL);
      if (!origin.ok) return routeError(403, "forbidden_origin", origin.message, requestId);
      const user = await getCurrentUser();
      if (!user) return routeError(401, "unauthorized", "Your session has ended. Sign in again.", requestId);
      if (!can(user.role, options.permission)) return routeError(403, "forbidden", "Your role does not allow this.", requestId);

      // PostgreSQL cannot compare text with U+0000: a NUL in the path is not found, in the query a 400.
      const rawParams = await segment.params;
      if (containsNul(rawParams)) return routeError(404, "not_found", options.notFound ?? "Not found.", requestId);
      if ([...new URL(request.url).searchParams].some(([k, v]) => containsNul(k) || containsNul(v))) {
        return routeError(400, "invalid_input", NUL_MESSAGE, requestId);
      }
      let params = {} as P;
      if (options.params) {
        const parsed = options.params.safeParse(rawParams);
        if (!parsed.success) return routeError(404, "not_found", options.notFound ?? "Not found.", requestId);
        params = parsed.data;
      }
      let query = {} as Q;
      if (options.query) {
        const raw = Object.fromEntries(new URL(request.url).searchParams);
        const parsed = options.query.safeParse(raw);
        if (!parsed.success) {
          const fieldErrors = fieldErrorsOf(parsed.error);
          const message = Object.values(fieldErrors).flat().join(" ");
          return routeError(400, "invalid_input", message || "Check the request's parameters.", requestId, fieldErrors);
        }
        query = parsed.data;
      }
      const response = await handler({ request, user, service: userContext(user, requestId), params, query, requestId });
      if (!response.headers.has("x-request-id")) {
        try {
          response.headers.set("x-request-id", requestId);
        } catch {
          // immutable headers (a Response.redirect): leave them
        }
      }
      return response;
    },
    (e, request, requestId) => {
      if (isExpectedError(e)) return routeError(e.status, e.code, e.message, requestId, e.fieldErrors);
      if (isDatabaseUnavailable(e)) {
        logger.warn({ err: e, requestId }, "route handler: database unavailable");
        return routeError(503, "unavailable", "Modelpin cannot reach its database right now. Try again in a moment.", requestId);
      }
      logger.error({ err: e, requestId, path: new URL(request.url).pathname }, "route handler failed");
      return routeError(500, "internal", `Something went wrong on our side. If it keeps happening, report request id ${requestId}.`, requestId);
    },
  );
}
