import { automationJson, tokenRoute } from "@/lib/automation/route";
import { comparisonStartedSchema, functionPathSchema, startComparisonBodySchema } from "@/lib/automation/schemas";
import { startComparisonByToken } from "@/lib/automation/service";

/** POST /api/v1/functions/{functionId}/comparisons (scope evaluate): `{ sampleSetId, modelA, modelB }` → 202 { id, status }. */
export const POST = tokenRoute(
  { scope: "evaluate", params: functionPathSchema, body: startComparisonBodySchema, notFound: "Not a function id." },
  async ({ service, environment, params, body, requestId }) => {
    const run = await startComparisonByToken(service, environment, params.functionId, body);
    return automationJson(comparisonStartedSchema.parse(run), 202, requestId);
  },
);
