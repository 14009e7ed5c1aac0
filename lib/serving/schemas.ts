/**
 * Every request, response and error shape of the serving API (the resolve API
 * under /api/v1 and the Nyckel-compatible invoke proxy under /v1), as zod
 * schemas. The routes build their answers by parsing through these schemas,
 * and the OpenAPI document (/api/openapi.json) is generated from them, so the
 * two cannot drift apart.
 *
 * No "server-only": the OpenAPI generator and the docs page import this too.
 */
import { z } from "zod";
import { errorAnswers, type CatalogRoute } from "@/lib/api/route-catalog";

// ---------------------------------------------------------------------------
// Headers

export const MODELPIN_ENVIRONMENT_HEADER = "X-Modelpin-Environment";
export const MODELPIN_MODEL_HEADER = "X-Modelpin-Model-Id";
/** Value of X-Modelpin-Model-Id when the environment serves Nyckel's latest model (no pin). */
export const LATEST_MODEL = "latest";
/**
 * The proxy sets X-Modelpin-Environment and X-Modelpin-Model-Id on every answer.
 * Before the token is known (401 for a missing, malformed or unknown token) both
 * are empty strings: no environment was determined.
 */
export const UNKNOWN_HEADER_VALUE = "";

export const API_TOKEN_PATTERN_SOURCE = "^mp_[A-Za-z0-9_-]{43}$";

export const apiTokenSchema = z
  .string()
  .regex(new RegExp(API_TOKEN_PATTERN_SOURCE))
  .meta({
    id: "ModelpinApiToken",
    description:
      "An environment-scoped Modelpin API token: `mp_` followed by 43 base64url characters (32 random bytes). Sent as `Authorization: Bearer <token>`. Created in Settings → API tokens or with `npm run token:create`; shown once.",
  });

export const proxyResponseHeadersSchema = z
  .object({
    "X-Modelpin-Environment": z.string().meta({ description: "Slug of the token's environment; empty when the token could not be identified (401)." }),
    "X-Modelpin-Model-Id": z
      .string()
      .meta({ description: "The model id the call was (or would be) served with; `latest` when the environment has no pin; empty on 401." }),
  })
  .meta({ id: "ProxyResponseHeaders" });

export const resolveResponseHeadersSchema = z
  .object({
    ETag: z.string().meta({ description: "Strong validator of the answer; send it back as If-None-Match to get 304 Not Modified." }),
    "Cache-Control": z.literal("no-cache"),
  })
  .meta({ id: "ResolveResponseHeaders" });

// ---------------------------------------------------------------------------
// Errors

export const API_ERROR_CODES = [
  "token_missing",
  "token_malformed",
  "token_invalid",
  "token_expired",
  "token_revoked",
  "unauthorized",
  "forbidden",
  "scope_missing",
  "human_approval_required",
  "not_found",
  "invalid_input",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "gate_refused",
  "unknown_model",
  "model_conflict",
  "method_not_allowed",
  "nyckel_not_configured",
  "nyckel_unreachable",
  "nyckel_timeout",
  "nyckel_unauthorized",
  "unavailable",
  "budget_exhausted",
  "internal",
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorCodeSchema = z.enum(API_ERROR_CODES).meta({
  id: "ApiErrorCode",
  description:
    "token_missing / token_malformed / token_invalid / token_expired / token_revoked (401); unauthorized (401, no session and no token); forbidden (403); scope_missing (403: the token lacks the scope the route needs, named in the message); human_approval_required (403: a token may not open a request that would apply without a human approval); not_found (404); invalid_input (400, or 422 when the automation API could not act on valid JSON); conflict (409, automation API); payload_too_large (413); unsupported_media_type (415); gate_refused (422: the evidence gate refused a promotion request; `rule` names the rule); unknown_model (422: Nyckel does not know the model id for the function); model_conflict (409); method_not_allowed (405); nyckel_not_configured / nyckel_unreachable / nyckel_unauthorized (502); nyckel_timeout (504); unavailable (503: the database cannot be reached and nothing is cached yet); budget_exhausted (429, with Retry-After: the invoke proxy got no permit from Modelpin's Nyckel budget within its short wait); internal (500).",
});

export const apiErrorBodySchema = z
  .object({
    code: apiErrorCodeSchema,
    message: z.string().min(1).meta({ description: "What went wrong and what to do, for people." }),
  })
  .meta({ id: "ApiErrorBody" });

/** Every error of the resolve API: `{ "error": { "code", "message" } }`. */
export const apiErrorSchema = z.object({ error: apiErrorBodySchema }).meta({ id: "ApiError" });
export type ApiError = z.infer<typeof apiErrorSchema>;

/**
 * The invoke proxy's own errors: the same `error` object, plus a top-level
 * `message` as Nyckel's errors have, so Nyckel clients print something useful.
 */
export const proxyErrorSchema = z
  .object({
    message: z.string().min(1),
    error: apiErrorBodySchema,
  })
  .meta({ id: "ProxyError" });
export type ProxyError = z.infer<typeof proxyErrorSchema>;

/** 409 from the proxy: the caller asked for another model than the environment's pin. */
export const modelConflictErrorSchema = z
  .object({
    message: z.string().min(1),
    error: z.object({
      code: z.literal("model_conflict"),
      message: z.string().min(1),
      environment: z.string().meta({ description: "The token's environment (slug)." }),
      functionId: z.string(),
      pinnedModelId: z.string().nullable().meta({ description: "The environment's pin; null when it serves latest." }),
      requestedModelId: z.string().meta({ description: "The modelId the caller sent." }),
    }),
  })
  .meta({ id: "ModelConflictError" });
export type ModelConflictError = z.infer<typeof modelConflictErrorSchema>;

/** Nyckel's own error shape, passed through unchanged by the proxy (e.g. 400, 404, 429, 5xx). */
export const nyckelErrorSchema = z.looseObject({ message: z.string() }).meta({ id: "NyckelError" });

// ---------------------------------------------------------------------------
// Resolve API: GET /api/v1/environments/{environment}/pins[/{functionId}]

export const environmentSlugParamSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,60}$/)
  .meta({ id: "EnvironmentSlug", description: "The environment's slug, e.g. `production`." });

/** Nyckel function ids (`function_…`, bare ids, or slugs of public functions). */
export const FUNCTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;
export const functionIdParamSchema = z
  .string()
  .regex(FUNCTION_ID_PATTERN)
  .meta({ id: "FunctionId", description: "A Nyckel function id, with or without its `function_` prefix." });

export const environmentPinsPathSchema = z.object({ environment: environmentSlugParamSchema });
export const functionPinPathSchema = z.object({ environment: environmentSlugParamSchema, functionId: functionIdParamSchema });

export const pinsQuerySchema = z.object({
  at: z
    .string()
    .optional()
    .meta({
      description:
        "A point in time (ISO 8601; without a zone: UTC). Answers what was pinned then, from the pin history (read from the database, not the cache).",
    }),
});

const isoTime = z.iso.datetime({ offset: true });

/** One function's pin: `modelId` null means Nyckel's latest model (no pin). */
export const pinResolutionSchema = z
  .object({
    functionId: z.string().meta({ description: "The Nyckel function id (with its `function_` prefix)." }),
    modelId: z.string().nullable().meta({ description: "The pinned Nyckel model id; null = latest (send no modelId)." }),
    version: z.number().int().min(0).meta({ description: "The pin's version; 0 = never pinned." }),
    updatedAt: isoTime.nullable().meta({ description: "When this version was set; null when never pinned." }),
  })
  .meta({ id: "PinResolution" });
export type PinResolution = z.infer<typeof pinResolutionSchema>;

export const environmentPinSchema = pinResolutionSchema
  .extend({ functionName: z.string() })
  .meta({ id: "EnvironmentPin" });
export type EnvironmentPin = z.infer<typeof environmentPinSchema>;

export const environmentPinsSchema = z
  .object({
    environment: z.string().meta({ description: "The environment's slug." }),
    at: isoTime.meta({
      description:
        "With `?at=`: that time. Without: the time since which this state holds (the latest pin change in the environment, or its creation); `?at=<this value>` gives the same pins.",
    }),
    pins: z.array(environmentPinSchema).meta({ description: "Every synced function, ordered by name; unpinned ones have modelId null." }),
  })
  .meta({ id: "EnvironmentPins" });
export type EnvironmentPins = z.infer<typeof environmentPinsSchema>;

// ---------------------------------------------------------------------------
// Invoke proxy: POST /v1/functions/{functionId}/invoke (Nyckel's path and body)

export const invokePathSchema = z.object({ functionId: functionIdParamSchema });

/** The documented query parameters; any other parameter is passed to Nyckel unchanged too. */
export const invokeQuerySchema = z.looseObject({
  modelId: z
    .string()
    .optional()
    .meta({
      description:
        "Optional. Equal to the environment's pin: served. Another model (also when the pin is latest): 409, unless the environment allows caller overrides. Empty or absent: the pin is used.",
    }),
  labelCount: z.string().optional().meta({ description: "Passed to Nyckel: the top-N label confidences." }),
  includeMetadata: z.string().optional().meta({ description: "Passed to Nyckel." }),
  capture: z.string().optional().meta({ description: "Passed to Nyckel (its default is true)." }),
  externalId: z.string().optional().meta({ description: "Passed to Nyckel." }),
});

/** JSON body, as Nyckel documents it (multipart/form-data with a `data` part works too). Passed through unchanged. */
export const invokeJsonBodySchema = z
  .looseObject({
    data: z.unknown().meta({ description: "Text, an image URL or data URI, or a tabular object keyed by field name or id." }),
    externalId: z.string().nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
  })
  .meta({ id: "InvokeInput" });

export const invokeMultipartBodySchema = z
  .object({
    data: z.string().meta({ description: "The file (image bytes) or text.", format: "binary" }),
    externalId: z.string().optional(),
  })
  .meta({ id: "InvokeMultipartInput" });

export const labelConfidenceSchema = z.looseObject({
  labelName: z.string().nullish(),
  labelId: z.string().nullish(),
  confidence: z.number(),
});

/** Nyckel's invoke answer (classification), passed through unchanged. */
export const invokeOutputSchema = z
  .looseObject({
    labelName: z.string().nullish(),
    labelId: z.string().nullish(),
    confidence: z.number(),
    labelConfidences: z.array(labelConfidenceSchema).optional(),
    labelMetadata: z.record(z.string(), z.unknown()).optional(),
    externalId: z.string().optional(),
  })
  .meta({ id: "InvokeOutput" });

// ---------------------------------------------------------------------------
// A compact catalog of the serving routes, for the OpenAPI generator and docs.

export type ServingRoute = CatalogRoute & { auth: "bearer" | "bearer-or-session" };

/** The errors both pin reads (an environment's pins, one function's pin) answer alike. */
const pinReadErrors = errorAnswers(apiErrorSchema, {
  400: "`at` is not a time",
  401: "No session and no token, or a missing, malformed, unknown, expired or revoked token",
  403: "The token belongs to another environment or lacks the `read` scope (`scope_missing`), or the member may not read pins",
  503: "The database cannot be reached and nothing is cached yet",
});

/** A resolve route: 200 with an ETag, 304, 404 and the pin reads' errors. */
function pinRead(path: string, summary: string, ok: { description: string; schema: z.ZodType }, notModified: string, notFound: string): ServingRoute {
  return {
    method: "GET",
    path,
    summary,
    auth: "bearer-or-session",
    responses: { 200: ok, 304: { description: notModified }, 404: { description: notFound, schema: apiErrorSchema }, ...pinReadErrors },
  };
}

export const SERVING_ROUTES: readonly ServingRoute[] = [
  pinRead(
    "/api/v1/environments/{environment}/pins",
    "The pins of every synced function in one environment",
    { description: "The pins (ETag, Cache-Control: no-cache)", schema: environmentPinsSchema },
    "Not modified (If-None-Match matched the ETag); no body",
    "Unknown environment (signed-in members only; tokens get 403)",
  ),
  pinRead(
    "/api/v1/environments/{environment}/pins/{functionId}",
    "The pin of one function in one environment",
    { description: "The pin (ETag, Cache-Control: no-cache)", schema: pinResolutionSchema },
    "Not modified; no body",
    "Unknown environment or function",
  ),
  {
    method: "POST",
    path: "/v1/functions/{functionId}/invoke",
    summary: "Nyckel's invoke, with the token's environment pin added as modelId",
    auth: "bearer",
    responses: {
      200: { description: "Nyckel's answer, unchanged (plus X-Modelpin-* headers)", schema: invokeOutputSchema },
      401: { description: "Missing, malformed, unknown, expired or revoked token", schema: proxyErrorSchema },
      403: { description: "The token lacks the `invoke` scope (`scope_missing`)", schema: proxyErrorSchema },
      404: { description: "Not a function id (the proxy), or Nyckel's 404 passed through", schema: proxyErrorSchema },
      409: { description: "The caller's modelId differs from the environment's pin", schema: modelConflictErrorSchema },
      429: { description: "Nyckel's rate limit, passed through unchanged", schema: nyckelErrorSchema },
      502: { description: "Nyckel unreachable, not configured, or refusing Modelpin's credentials", schema: proxyErrorSchema },
      503: { description: "The database cannot be reached and nothing is cached yet", schema: proxyErrorSchema },
      504: { description: "Nyckel did not answer in time", schema: proxyErrorSchema },
    },
  },
];
