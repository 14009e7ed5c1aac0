/**
 * The words and examples of Modelpin's OpenAPI document (openapi.ts): response examples
 * per route and status (validated against the documented schemas by openapi.test.ts),
 * curl samples, operation descriptions, and the Nyckel statuses the proxy passes through.
 */
import type { CodeSample } from "./openapi-types";

export const EXAMPLE_FUNCTION_ID = "function_9ir4imph0v4g8hyr";
export const EXAMPLE_MODEL_ID = "model_tufiw90jpsla3xl8";
const EXAMPLE_TIME = "2026-03-01T14:30:00.000Z";
export const EXAMPLE_ETAG = '"Xq3nR0c7dF2mK9pL1sT4vw"';

/** Examples use these shell variables; the API page and the README say how to set them. */
export const URL_VAR = "$MODELPIN_URL";
const TOKEN_VAR = "$MODELPIN_TOKEN";
const curl = (lines: string[]) => lines.join(" \\\n  ");

const apiError = (code: string, message: string) => ({ error: { code, message } });
const proxyError = (code: string, message: string) => ({ message, error: { code, message } });

/** Response examples per route and status (validated against the documented schemas by the unit test). */
export const EXAMPLES: Record<string, Record<string, unknown>> = {
  "/api/v1/environments/{environment}/pins": {
    "200": {
      environment: "production",
      at: EXAMPLE_TIME,
      pins: [
        { functionId: "function_yhts7vfw4wlvz21r", functionName: "Cat vs dog vs bird", modelId: null, version: 0, updatedAt: null },
        { functionId: EXAMPLE_FUNCTION_ID, functionName: "Support ticket triage", modelId: EXAMPLE_MODEL_ID, version: 3, updatedAt: EXAMPLE_TIME },
      ],
    },
    "400": apiError("invalid_input", "`at` must be an ISO 8601 time, like 2026-03-01T14:30:00Z (without a zone: UTC)."),
    "401": apiError("token_revoked", "This API token was revoked. Ask an admin for a new one."),
    "403": apiError("forbidden", "This token is for the environment \"staging\", not \"production\"."),
    "404": apiError("not_found", 'There is no environment "qa".'),
  },
  "/api/v1/environments/{environment}/pins/{functionId}": {
    "200": { functionId: EXAMPLE_FUNCTION_ID, modelId: EXAMPLE_MODEL_ID, version: 3, updatedAt: EXAMPLE_TIME },
    "401": apiError("token_missing", "Send an API token: Authorization: Bearer mp_…"),
    "404": apiError("not_found", `There is no function "function_unknown" in Modelpin.`),
  },
  "/v1/functions/{functionId}/invoke": {
    "200": { labelName: "Billing", labelId: "label_2lq8mrbr4wq3bj9e", confidence: 0.91 },
    "400": { message: "Request body is not valid JSON" },
    "401": proxyError("token_invalid", "This API token is not valid."),
    "404": { message: "Function 'function_unknown' not found" },
    "409": {
      message: `This environment is pinned to ${EXAMPLE_MODEL_ID}; the request asked for model_other.`,
      error: {
        code: "model_conflict",
        message: `This environment is pinned to ${EXAMPLE_MODEL_ID}; the request asked for model_other.`,
        environment: "production",
        functionId: EXAMPLE_FUNCTION_ID,
        pinnedModelId: EXAMPLE_MODEL_ID,
        requestedModelId: "model_other",
      },
    },
    "429": { message: "Rate limit exceeded: more than 25 requests per second" },
    "502": proxyError("nyckel_unreachable", "Nyckel could not be reached. Try again."),
  },
};

export const SAMPLES: Record<string, CodeSample[]> = {
  "/api/v1/environments/{environment}/pins": [
    { lang: "shell", label: "curl", source: curl(["curl -sS", `-H "Authorization: Bearer ${TOKEN_VAR}"`, `"${URL_VAR}/api/v1/environments/production/pins"`]) },
    {
      lang: "shell",
      label: "curl, only when something changed",
      source: curl(["curl -sS -i", `-H "Authorization: Bearer ${TOKEN_VAR}"`, `-H 'If-None-Match: ${EXAMPLE_ETAG}'`, `"${URL_VAR}/api/v1/environments/production/pins"`]),
    },
  ],
  "/api/v1/environments/{environment}/pins/{functionId}": [
    { lang: "shell", label: "curl", source: curl(["curl -sS", `-H "Authorization: Bearer ${TOKEN_VAR}"`, `"${URL_VAR}/api/v1/environments/production/pins/${EXAMPLE_FUNCTION_ID}"`]) },
  ],
  "/v1/functions/{functionId}/invoke": [
    {
      lang: "shell",
      label: "curl, JSON",
      source: curl([
        "curl -sS -X POST",
        `-H "Authorization: Bearer ${TOKEN_VAR}"`,
        "-H 'Content-Type: application/json'",
        `-d '{"data": "I was charged twice this month"}'`,
        `"${URL_VAR}/v1/functions/${EXAMPLE_FUNCTION_ID}/invoke?labelCount=3"`,
      ]),
    },
    {
      lang: "shell",
      label: "curl, an image file (multipart)",
      source: curl(["curl -sS -X POST", `-H "Authorization: Bearer ${TOKEN_VAR}"`, "-F 'data=@cat.jpg'", `"${URL_VAR}/v1/functions/function_yhts7vfw4wlvz21r/invoke"`]),
    },
  ],
};

export const DESCRIPTIONS: Record<string, string> = {
  "/api/v1/environments/{environment}/pins":
    "Every function Modelpin has synced from Nyckel, with the model id pinned in this environment (`modelId: null` = not pinned: Nyckel's latest model answers). " +
    "Answers carry an `ETag`: poll with `If-None-Match` and you get `304` with no body until a pin changes.",
  "/api/v1/environments/{environment}/pins/{functionId}":
    "Which model to use for one function in this environment: pass `modelId` to Nyckel's invoke as `?modelId=`, or nothing when it is `null` (latest). Same `ETag` / `304` rule as the list.",
  "/v1/functions/{functionId}/invoke":
    "The same path, query and body as Nyckel's `POST https://www.nyckel.com/v1/functions/{functionId}/invoke`: change only the base URL and the token. " +
    "Modelpin forwards the request to Nyckel with its own Nyckel credentials and adds the environment's pinned `modelId` (none when the pin is latest). " +
    "Query parameters (documented ones and any other) and the body (JSON or multipart) pass through unchanged, and so do Nyckel's status and body, errors included. " +
    "Every answer carries `X-Modelpin-Environment` and `X-Modelpin-Model-Id`.\n\n" +
    "A caller may send its own `modelId`: equal to the pin, it is served; a different one (also when the pin is latest) gets `409` and is not forwarded, unless the environment allows caller overrides.",
};

/** Statuses of Nyckel's invoke that the proxy passes through unchanged, with Nyckel's `{ "message" }` body. */
export const NYCKEL_PASS_THROUGH: Record<string, string> = {
  "400": "Nyckel refused the input (malformed JSON, missing `data`, data of the wrong kind, an unknown model id …).",
  "402": "Nyckel's billing limit (e.g. the free-tier quota).",
  "404": "Nyckel does not know this function.",
  "413": "The body is too large for Nyckel.",
  "415": "The content type is neither JSON nor multipart.",
  "429": "Nyckel's rate or concurrency limit: back off and retry.",
  "500": "Nyckel failed: retry with backoff.",
  "503": "Nyckel is temporarily unavailable: retry with backoff.",
};

// ---- the automation API (issue 19) -------------------------------------------------------

const RUN_ID = "7d5c4b1e-2f3a-4c8d-9e0f-1a2b3c4d5e6f";
const REQUEST_ID = "3f2e1d0c-9b8a-4765-8432-10fedcba9876";
const SET_ID = "0a1b2c3d-4e5f-4061-8728-394a5b6c7d8e";
const jsonCall = (method: string, path: string, body?: string) =>
  curl([`curl -sS${method === "GET" ? "" : ` -X ${method}`}`, `-H "Authorization: Bearer ${TOKEN_VAR}"`, ...(body ? ["-H 'Content-Type: application/json'", `-d '${body}'`] : []), `"${URL_VAR}${path}"`]);

/** One curl per automation route (the CLI, /cli.mjs, wraps the same calls). */
export const AUTOMATION_SAMPLES: Record<string, string> = {
  "/api/v1/functions/{functionId}/models": jsonCall("POST", `/api/v1/functions/${EXAMPLE_FUNCTION_ID}/models`, '{"modelId": "model_8x2kq0c1", "nickname": "nightly retrain"}'),
  "/api/v1/functions/{functionId}/sample-sets": curl([
    "curl -sS -X POST",
    `-H "Authorization: Bearer ${TOKEN_VAR}"`,
    "-F 'name=tickets 2026-03'",
    "-F 'files=@tickets.csv'",
    `"${URL_VAR}/api/v1/functions/${EXAMPLE_FUNCTION_ID}/sample-sets"`,
  ]),
  "/api/v1/functions/{functionId}/comparisons": jsonCall(
    "POST",
    `/api/v1/functions/${EXAMPLE_FUNCTION_ID}/comparisons`,
    `{"sampleSetId": "${SET_ID}", "modelA": "pinned:staging", "modelB": "model_8x2kq0c1"}`,
  ),
  "/api/v1/comparisons/{id}": jsonCall("GET", `/api/v1/comparisons/${RUN_ID}`),
  "/api/v1/environments/{environment}/promotion-requests": jsonCall(
    "POST",
    "/api/v1/environments/staging/promotion-requests",
    `{"functionId": "${EXAMPLE_FUNCTION_ID}", "targetModelId": "model_8x2kq0c1", "reason": "nightly retrain", "evidenceComparisonId": "${RUN_ID}"}`,
  ),
  "/api/v1/promotion-requests/{id}": jsonCall("GET", `/api/v1/promotion-requests/${REQUEST_ID}`),
  "/api/v1/promotion-requests/{id}/cancel": jsonCall("POST", `/api/v1/promotion-requests/${REQUEST_ID}/cancel`, "{}"),
};
