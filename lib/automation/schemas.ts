/**
 * The automation API's shapes (issue 19): request bodies, answers and the
 * route catalog the OpenAPI document is generated from. The routes parse
 * their answers through these schemas, so the document cannot drift.
 *
 * No "server-only": the OpenAPI generator imports this too.
 */
import { z } from "zod";
import { modelIdSchema } from "@/lib/models/schemas";
import { apiErrorCodeSchema, environmentSlugParamSchema } from "@/lib/serving/schemas";
import { errorAnswers, type CatalogRoute, type RouteResponses } from "@/lib/api/route-catalog";
import { TEXT_LIMITS } from "@/lib/text-limits";
import type { TokenScope } from "@/lib/tokens/scopes";

// ---------------------------------------------------------------------------
// Errors: the serving API's `{ error: { code, message } }`, plus what helps a pipeline.

export const automationErrorSchema = z
  .object({
    error: z.object({
      code: apiErrorCodeSchema,
      message: z.string().min(1).meta({ description: "What went wrong and what to do, for people." }),
      fieldErrors: z.record(z.string(), z.array(z.string())).optional().meta({ description: "Per field of the body, what is wrong with it." }),
      rule: z
        .string()
        .optional()
        .meta({ description: "With `gate_refused`: the evidence gate's rule that refused (no_run, not_finished, other_function, other_models, latest_too_old, no_answers, too_few_answered, too_many_errors, below_minimum, lower_bound_below_minimum)." }),
      requestId: z.string().meta({ description: "Quote it when reporting a problem." }),
    }),
  })
  .meta({ id: "AutomationError" });

// ---------------------------------------------------------------------------
// Paths

const functionIdParam = z.string().min(1).max(200).meta({ description: "A synced Nyckel function id (`function_…`)." });
const uuidParam = z.uuid();

export const functionPathSchema = z.object({ functionId: functionIdParam });
export const environmentPathSchema = z.object({ environment: environmentSlugParamSchema });
export const comparisonPathSchema = z.object({ id: uuidParam.meta({ description: "The comparison run's id." }) });
export const requestPathSchema = z.object({ id: uuidParam.meta({ description: "The promotion request's id." }) });

// ---------------------------------------------------------------------------
// Bodies

export const registerModelBodySchema = z
  .object({
    modelId: modelIdSchema.meta({ description: "The Nyckel model id, as in the Model Info panel of the Nyckel console." }),
    nickname: z.string().trim().max(TEXT_LIMITS.nickname, `Nicknames are at most ${TEXT_LIMITS.nickname} characters.`).optional(),
    notes: z.string().trim().max(TEXT_LIMITS.notes, `Notes are at most ${TEXT_LIMITS.notes} characters.`).optional(),
  })
  .meta({ id: "RegisterModelInput" });
export type RegisterModelBody = z.infer<typeof registerModelBodySchema>;

/** A side of a comparison: a registered model id, `latest`, or `pinned:<the token's environment>`. */
export const modelRefSchema = z
  .string({ message: "Name a model: a registered model id, latest, or pinned:<environment>." })
  .trim()
  .min(1, "Name a model: a registered model id, latest, or pinned:<environment>.")
  .max(200)
  .meta({ description: "A registered model id, `latest`, or `pinned:<environment>` (the token's own environment only)." });

export const startComparisonBodySchema = z
  .object({
    sampleSetId: z.uuid("sampleSetId is the id of a sample set (from the upload's answer)."),
    modelA: modelRefSchema,
    modelB: modelRefSchema,
  })
  .meta({ id: "StartComparisonInput" });
export type StartComparisonBody = z.infer<typeof startComparisonBodySchema>;

export const openRequestBodySchema = z
  .object({
    functionId: functionIdParam,
    targetModelId: z
      .string({ message: "targetModelId is a registered model id, or latest." })
      .trim()
      .min(1, "targetModelId is a registered model id, or latest.")
      .max(200)
      .meta({ description: "The registered model id to move the environment to, or `latest` (unpin)." }),
    reason: z.string({ message: "Say why: approvers read it." }).meta({ description: "Why; the approvers and the audit log read it." }),
    evidenceComparisonId: z.uuid("evidenceComparisonId is a comparison run's id.").nullable().optional().meta({ description: "A finished comparison of the current pin and the target." }),
  })
  .meta({ id: "OpenPromotionRequestInput" });
export type OpenRequestBody = z.infer<typeof openRequestBodySchema>;

export const cancelRequestBodySchema = z
  .object({ comment: z.string().max(TEXT_LIMITS.comment).optional() })
  .meta({ id: "CancelPromotionRequestInput" });

export const sampleSetMultipartSchema = z
  .object({
    name: z.string().meta({ description: "The sample set's name (unique per function)." }),
    files: z.string().meta({ description: "One or more files: images, text (one sample per line), CSV or JSONL (optional label column).", format: "binary" }),
    dataColumn: z.string().optional(),
    labelColumn: z.string().optional(),
  })
  .meta({ id: "SampleSetUpload" });

// ---------------------------------------------------------------------------
// Answers

export const registeredModelSchema = z
  .object({
    id: z.uuid(),
    functionId: z.string(),
    modelId: z.string(),
    nickname: z.string(),
    notes: z.string(),
    retired: z.boolean(),
    verified: z.boolean().meta({ description: "Nyckel answered a check invoke with this model id (false: the check could not tell; see verificationNote)." }),
    verificationNote: z.string().nullable().meta({ description: "Why the id is not verified (a timeout, a Nyckel error…), or null." }),
    created: z.boolean().meta({ description: "true: registered now (201); false: it already was (200)." }),
  })
  .meta({ id: "RegisteredModel" });

export const sampleSetCreatedSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    counts: z.object({ samples: z.number().int(), labeled: z.number().int(), duplicates: z.number().int(), rejected: z.number().int() }),
    rejected: z.array(z.object({ row: z.number().int().nullable(), source: z.string(), reason: z.string() })).meta({ description: "The first rejected rows or files, with why." }),
  })
  .meta({ id: "SampleSetCreated" });

export const RUN_STATUSES = ["queued", "running", "finished", "failed", "cancelled"] as const;

export const comparisonStartedSchema = z.object({ id: z.uuid(), status: z.enum(RUN_STATUSES) }).meta({ id: "ComparisonStarted" });

const rate = z.number().min(0).max(1).nullable();

export const gateVerdictSchema = z
  .object({
    environment: z.string().meta({ description: "The token's environment (slug)." }),
    passed: z.boolean(),
    rule: z.string().nullable().meta({ description: "The rule that refused; null when passed." }),
    message: z.string(),
  })
  .meta({ id: "GateVerdict" });

export const comparisonStatusSchema = z
  .object({
    id: z.uuid(),
    functionId: z.string(),
    status: z.enum(RUN_STATUSES),
    modelA: z.string().nullable().meta({ description: "Model A's Nyckel id; null = latest." }),
    modelB: z.string().nullable(),
    total: z.number().int(),
    done: z.number().int().meta({ description: "Samples both models have answered or failed on." }),
    failed: z.number().int().meta({ description: "Samples where a model failed." }),
    agreement: z.object({ n: z.number().int(), rate, low: rate, high: rate }).meta({ description: "Over samples both answered; low/high: 95% Wilson interval." }),
    accuracy: z
      .object({ n: z.number().int(), a: rate, b: rate })
      .optional()
      .meta({ description: "Only when the sample set has ground-truth labels." }),
    reportUrl: z.string(),
    gate: gateVerdictSchema.meta({ description: "Whether this run, as it stands, passes the evidence gate of the token's environment for moving it to the side that is not its current pin." }),
  })
  .meta({ id: "ComparisonStatus" });
export type ComparisonStatus = z.infer<typeof comparisonStatusSchema>;

export const REQUEST_STATUSES = ["pending", "applied", "rejected", "cancelled", "expired", "stale"] as const;

/** The fields every answer about a promotion request starts with. */
const requestIdentity = { id: z.uuid(), number: z.number().int(), status: z.enum(REQUEST_STATUSES) };

export const requestOpenedSchema = z
  .object({
    ...requestIdentity,
    approvalsRequired: z.number().int(),
    gate: z.object({ passed: z.literal(true), message: z.string() }),
    url: z.string(),
  })
  .meta({ id: "PromotionRequestOpened" });

export const requestStatusSchema = z
  .object({
    ...requestIdentity,
    statusReason: z.string().nullable(),
    environment: z.string(),
    functionId: z.string(),
    targetModelId: z.string().nullable().meta({ description: "null = latest." }),
    requestedBy: z.string(),
    approvals: z.number().int(),
    approvalsRequired: z.number().int(),
    decisions: z.array(z.object({ decision: z.enum(["approve", "reject"]), by: z.string(), comment: z.string(), at: z.iso.datetime({ offset: true }) })),
    appliedVersion: z.number().int().nullable().meta({ description: "The pin version the request produced, once applied." }),
    expiresAt: z.iso.datetime({ offset: true }).nullable(),
    url: z.string(),
  })
  .meta({ id: "PromotionRequestStatus" });
export type RequestStatusBody = z.infer<typeof requestStatusSchema>;

// ---------------------------------------------------------------------------
// The catalog (for the OpenAPI document)

export type AutomationRoute = CatalogRoute & {
  operationId: string;
  scope: TokenScope;
  params: z.ZodObject;
  body?: { type: "application/json" | "multipart/form-data"; schema: z.ZodType };
};

const e = automationErrorSchema;
const common = errorAnswers(e, {
  400: "The body is not valid (fieldErrors names the fields)",
  401: "Missing, malformed, unknown, expired or revoked token",
  403: "`scope_missing`: the token lacks the route's scope; `forbidden`: another environment",
  404: "Unknown function, sample set, run or request",
});

/** A read's answers: what it found, or the auth and lookup errors. */
function readAnswers(description: string, schema: z.ZodType): RouteResponses {
  return { 200: { description, schema }, 401: common[401]!, 403: common[403]!, 404: common[404]! };
}

const json = (schema: z.ZodType) => ({ type: "application/json" as const, schema });

/** One catalog entry: which route, its token scope and summary, then its path parameters, answers and body. */
function route(
  [method, path, operationId, scope]: [AutomationRoute["method"], string, string, TokenScope],
  summary: string,
  params: z.ZodObject,
  responses: RouteResponses,
  body?: AutomationRoute["body"],
): AutomationRoute {
  return { method, path, operationId, summary, scope, params, ...(body ? { body } : {}), responses };
}

export const AUTOMATION_ROUTES: readonly AutomationRoute[] = [
  route(["POST", "/api/v1/functions/{functionId}/models", "registerModel", "evaluate"], "Register a Nyckel model id for a function (checked with Nyckel)", functionPathSchema, {
    200: { description: "Already registered", schema: registeredModelSchema },
    201: { description: "Registered", schema: registeredModelSchema },
    ...common,
    ...errorAnswers(e, { 415: "Not JSON", 422: "`unknown_model`: Nyckel does not know this model id for the function", 502: "Nyckel could not be asked" }),
  }, json(registerModelBodySchema)),
  route(["POST", "/api/v1/functions/{functionId}/sample-sets", "uploadSampleSet", "evaluate"], "Upload a sample set (multipart, like the dashboard's upload)", functionPathSchema, {
    201: { description: "Saved", schema: sampleSetCreatedSchema },
    ...common,
    ...errorAnswers(e, { 409: "A sample set of this name exists", 413: "Too large", 415: "Not multipart, or a file type the function cannot take" }),
  }, { type: "multipart/form-data", schema: sampleSetMultipartSchema }),
  route(["POST", "/api/v1/functions/{functionId}/comparisons", "startComparison", "evaluate"], "Start a comparison run of two models on a sample set", functionPathSchema, {
    202: { description: "Queued", schema: comparisonStartedSchema },
    ...common,
    ...errorAnswers(e, { 415: "Not JSON", 422: "`unknown_model`: a model is not registered for the function (a retired one: 400)" }),
  }, json(startComparisonBodySchema)),
  route(["GET", "/api/v1/comparisons/{id}", "getComparison", "evaluate"], "A comparison run's progress, agreement and gate verdict", comparisonPathSchema, readAnswers("The run", comparisonStatusSchema)),
  route(["POST", "/api/v1/environments/{environment}/promotion-requests", "openPromotionRequest", "request"], "Ask for a promotion in the token's environment; people approve it", environmentPathSchema, {
    201: { description: "Opened; it waits for approvals", schema: requestOpenedSchema },
    ...common,
    ...errorAnswers(e, {
      403: "`scope_missing`, `forbidden` (another environment), or `human_approval_required` (the environment needs no approvals)",
      409: "An open request already asks for this",
      415: "Not JSON",
      422: "`gate_refused`: the evidence gate refused (`rule` names the rule); `unknown_model`: the target is not registered",
    }),
  }, json(openRequestBodySchema)),
  route(["GET", "/api/v1/promotion-requests/{id}", "getPromotionRequest", "request"], "A promotion request's status and decisions", requestPathSchema, readAnswers("The request", requestStatusSchema)),
  route(["POST", "/api/v1/promotion-requests/{id}/cancel", "cancelPromotionRequest", "request"], "Cancel a pending request the token opened", requestPathSchema, {
    200: { description: "Cancelled", schema: requestStatusSchema },
    ...common,
    ...errorAnswers(e, { 403: "`scope_missing`, or the request was opened by someone else", 409: "The request is no longer pending", 415: "Not JSON" }),
  }, json(cancelRequestBodySchema)),
];
