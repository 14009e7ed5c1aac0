import { publicBaseUrl } from "@/lib/api/base-url";
import { automationJson, tokenRoute } from "@/lib/automation/route";
import { requestPathSchema } from "@/lib/automation/schemas";
import { requestStatusForToken } from "@/lib/automation/service";

const NOT_FOUND = "There is no promotion request with that id in this token's environment.";

/** GET /api/v1/promotion-requests/{id} (scope request): status, decisions so far, the applied pin version. */
export const GET = tokenRoute({ scope: "request", params: requestPathSchema, notFound: NOT_FOUND }, async ({ environment, params, request, requestId }) => {
  return automationJson(await requestStatusForToken(environment, params.id, publicBaseUrl(request.headers)), 200, requestId);
});
