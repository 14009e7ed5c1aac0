import { publicBaseUrl } from "@/lib/api/base-url";
import { automationJson, tokenRoute } from "@/lib/automation/route";
import { comparisonPathSchema } from "@/lib/automation/schemas";
import { comparisonStatusForToken } from "@/lib/automation/service";

const NOT_FOUND = "That comparison run does not exist.";

/** GET /api/v1/comparisons/{id} (scope evaluate): progress, agreement, accuracy and the gate verdict of the token's environment. */
export const GET = tokenRoute({ scope: "evaluate", params: comparisonPathSchema, notFound: NOT_FOUND }, async ({ environment, params, request, requestId }) => {
  return automationJson(await comparisonStatusForToken(environment, params.id, publicBaseUrl(request.headers)), 200, requestId);
});
