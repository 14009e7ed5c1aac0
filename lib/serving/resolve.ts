import "server-only";
import { can } from "@/lib/auth/permissions";
import { logger } from "@/lib/logger";
import { measureResolve } from "@/lib/metrics/serving";
import { getPinsAt, type PinAt } from "@/lib/pins/queries";
import { parsePointInTime } from "@/lib/time";
import { decodeParam } from "@/lib/url";
import { authenticateToken, missingScope } from "./auth";
import { canonicalFunctionId, currentSnapshot, type EnvironmentEntry, type ServingContent } from "./cache";
import { strongEtag, ifNoneMatchMatches } from "./etag";
import { apiError, jsonText } from "./http";
import { getEnvironmentForResolve } from "./queries";
import { environmentPinsSchema, FUNCTION_ID_PATTERN, pinResolutionSchema } from "./schemas";
import { getUsageRecorder } from "./usage";
import { isDatabaseUnavailable } from "./unavailable";

/**
 * The resolve API: GET /api/v1/environments/{environment}/pins[/{functionId}].
 *
 * - `Authorization: Bearer <token>`: served from the in-memory cache (no
 *   database once warm), only for the token's own environment (else 403).
 * - No Authorization header: the signed-in member's session (pins:read), read
 *   from the database.
 * - `?at=<time>` (either way): the pins at that time, from the pin history.
 *
 * Answers carry a strong ETag of their exact bytes and `Cache-Control: no-cache`;
 * If-None-Match with that ETag gives 304 without a body. Errors are JSON
 * `{ error: { code, message } }`; nothing redirects.
 */

type PinLike = { functionId: string; functionName: string; modelId: string | null; version: number; updatedAt: Date | null };

export type Rendered = { body: string; etag: string };

function render(value: unknown): Rendered {
  const body = JSON.stringify(value);
  return { body, etag: strongEtag(body) };
}

/** The time since which the current state holds: the latest pin change, or the environment's creation. */
function stateSince(createdAt: Date, pins: Iterable<{ updatedAt: Date | null }>): Date {
  let latest = createdAt;
  for (const p of pins) if (p.updatedAt && p.updatedAt > latest) latest = p.updatedAt;
  return latest;
}

export function renderEnvironmentPins(environment: string, at: Date, pins: PinLike[]): Rendered {
  return render(
    environmentPinsSchema.parse({
      environment,
      at: at.toISOString(),
      pins: pins.map((p) => ({
        functionId: p.functionId,
        functionName: p.functionName,
        modelId: p.modelId,
        version: p.version,
        updatedAt: p.updatedAt?.toISOString() ?? null,
      })),
    }),
  );
}

export function renderPinResolution(pin: PinLike): Rendered {
  return render(
    pinResolutionSchema.parse({ functionId: pin.functionId, modelId: pin.modelId, version: pin.version, updatedAt: pin.updatedAt?.toISOString() ?? null }),
  );
}

// ---- from the cache (memoized per content snapshot) -----------------------

const rendered = new WeakMap<ServingContent, Map<string, Rendered>>();

function memo(content: ServingContent, key: string, build: () => Rendered): Rendered {
  let forContent = rendered.get(content);
  if (!forContent) rendered.set(content, (forContent = new Map()));
  let value = forContent.get(key);
  if (!value) forContent.set(key, (value = build()));
  return value;
}

function cachedPins(content: ServingContent, environment: EnvironmentEntry): PinLike[] {
  const pins = content.pins.get(environment.id);
  return content.functions.map((f) => {
    const p = pins?.get(f.id);
    return { functionId: f.id, functionName: f.name, modelId: p?.modelId ?? null, version: p?.version ?? 0, updatedAt: p?.updatedAt ?? null };
  });
}

export function renderCachedEnvironmentPins(content: ServingContent, environment: EnvironmentEntry): Rendered {
  return memo(content, `list\u0000${environment.id}`, () => {
    const pins = cachedPins(content, environment);
    return renderEnvironmentPins(environment.slug, stateSince(environment.createdAt, pins), pins);
  });
}

/** Null for a function that is not synced. */
export function renderCachedPin(content: ServingContent, environment: EnvironmentEntry, functionId: string): Rendered | null {
  const id = canonicalFunctionId(functionId);
  if (!content.functionIds.has(id)) return null;
  return memo(content, `one\u0000${environment.id}\u0000${id}`, () => {
    const p = content.pins.get(environment.id)?.get(id);
    return renderPinResolution({ functionId: id, functionName: "", modelId: p?.modelId ?? null, version: p?.version ?? 0, updatedAt: p?.updatedAt ?? null });
  });
}

// ---- HTTP -----------------------------------------------------------------

function respond(request: Request, value: Rendered): Response {
  const headers = { etag: value.etag, "cache-control": "no-cache" };
  if (ifNoneMatchMatches(request.headers.get("if-none-match"), value.etag)) return new Response(null, { status: 304, headers });
  return jsonText(value.body, 200, headers);
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

type AtParam = { ok: true; at: Date | undefined } | { ok: false; response: Response };

function readAt(request: Request): AtParam {
  const raw = new URL(request.url).searchParams.get("at");
  if (raw === null) return { ok: true, at: undefined };
  const at = parsePointInTime(raw);
  if (!at) {
    return {
      ok: false,
      response: apiError(400, "invalid_input", "`at` must be an ISO 8601 time, like 2026-03-01T14:30:00Z (without a zone: UTC)."),
    };
  }
  return { ok: true, at };
}

function unknownFunction(functionId: string): Response {
  return apiError(404, "not_found", `There is no synced function ${quoted(functionId)}. Function ids look like function_… (sync functions in Modelpin first).`);
}

/** From the database (signed-in members, and `?at=` with a token). */
async function fromDatabase(
  request: Request,
  environment: { id: string; slug: string; createdAt: Date },
  at: Date | undefined,
  functionId: string | undefined,
): Promise<Response> {
  if (functionId !== undefined) {
    if (!FUNCTION_ID_PATTERN.test(functionId)) return unknownFunction(functionId);
    const [pin] = await getPinsAt(environment.id, { at, functionId: canonicalFunctionId(functionId) });
    if (!pin) return unknownFunction(functionId);
    return respond(request, renderPinResolution(pin));
  }
  const pins: PinAt[] = await getPinsAt(environment.id, { at });
  return respond(request, renderEnvironmentPins(environment.slug, at ?? stateSince(environment.createdAt, pins), pins));
}

async function withToken(request: Request, slug: string, functionId: string | undefined): Promise<Response> {
  const snapshot = await currentSnapshot();
  const auth = authenticateToken(snapshot, request.headers.get("authorization"));
  if (!auth.ok) return apiError(401, auth.code, auth.message);
  getUsageRecorder().recordTokenUse(auth.token.id);
  const environment = auth.environment;
  if (environment.slug !== slug) {
    return apiError(403, "forbidden", `This token belongs to the environment "${environment.slug}"; it cannot read ${quoted(slug)}.`);
  }
  const noScope = missingScope(auth.token, "read");
  if (noScope) return apiError(403, noScope.code, noScope.message);
  const at = readAt(request);
  if (!at.ok) return at.response;
  if (at.at) return fromDatabase(request, environment, at.at, functionId);
  if (functionId === undefined) return respond(request, renderCachedEnvironmentPins(snapshot.content, environment));
  const one = FUNCTION_ID_PATTERN.test(functionId) ? renderCachedPin(snapshot.content, environment, functionId) : null;
  return one ? respond(request, one) : unknownFunction(functionId);
}

async function withSession(request: Request, slug: string, functionId: string | undefined): Promise<Response> {
  // Loaded only here: token requests never touch Auth.js.
  const { getCurrentUser } = await import("@/lib/session/current");
  const user = await getCurrentUser();
  if (!user) return apiError(401, "unauthorized", "Send an API token (`Authorization: Bearer mp_…`), or sign in.");
  if (!can(user.role, "pins:read")) return apiError(403, "forbidden", "You are not allowed to read pins.");
  const at = readAt(request);
  if (!at.ok) return at.response;
  const environment = await getEnvironmentForResolve(slug);
  if (!environment) return apiError(404, "not_found", `There is no environment ${quoted(slug)}.`);
  return fromDatabase(request, environment, at.at, functionId);
}

/** The route handlers' (and proxy.ts's) one entry point. `functionId` is the raw path parameter, if any. */
export function resolvePins(request: Request, rawSlug: string, rawFunctionId?: string): Promise<Response> {
  return measureResolve(rawSlug, () => answerResolve(request, rawSlug, rawFunctionId));
}

async function answerResolve(request: Request, rawSlug: string, rawFunctionId: string | undefined): Promise<Response> {
  const slug = decodeParam(rawSlug);
  const functionId = rawFunctionId === undefined ? undefined : decodeParam(rawFunctionId);
  try {
    return request.headers.has("authorization") ? await withToken(request, slug, functionId) : await withSession(request, slug, functionId);
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      return apiError(503, "unavailable", "Modelpin cannot reach its database right now and has nothing cached for this request. Retry shortly.", {
        "retry-after": "1",
      });
    }
    const requestId = crypto.randomUUID();
    logger.error({ err: error, requestId, path: new URL(request.url).pathname }, "resolve API failed");
    return apiError(500, "internal", `Something went wrong on our side. If it keeps happening, report request id ${requestId}.`);
  }
}
