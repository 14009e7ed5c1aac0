import { publicBaseUrl } from "@/lib/api/base-url";
import { automationJson, tokenRoute } from "@/lib/automation/route";
import { cancelRequestBodySchema, requestPathSchema } from "@/lib/automation/schemas";
import { cancelRequestByToken } from "@/lib/automation/service";

const NOT_FOUND = "There is no promotion request with that id in this token's environment.";

/** POST /api/v1/promotion-requests/{id}/cancel (scope request): cancels a pending request this token opened. */
export const POST = tokenRoute(
  { scope: "request", params: requestPathSchema, body: cancelRequestBodySchema, notFound: NOT_FOUND },
  async ({ service, environment, params, body, request, requestId }) => {
    return automationJson(await cancelRequestByToken(service, environment, params.id, body.comment, publicBaseUrl(request.headers)), 200, requestId);
  },
);
