import { publicBaseUrl } from "@/lib/api/base-url";
import { automationJson, tokenRoute } from "@/lib/automation/route";
import { environmentPathSchema, openRequestBodySchema, requestOpenedSchema } from "@/lib/automation/schemas";
import { openRequestByToken } from "@/lib/automation/service";

/**
 * POST /api/v1/environments/{environment}/promotion-requests (scope request): opens a request in the
 * token's own environment; 422 gate_refused names the evidence rule; 403 human_approval_required when
 * the environment needs no approvals (it would apply at once).
 */
export const POST = tokenRoute(
  { scope: "request", params: environmentPathSchema, body: openRequestBodySchema, notFound: "There is no such environment." },
  async ({ service, environment, params, body, request, requestId }) => {
    const opened = await openRequestByToken(service, environment, params.environment, body, publicBaseUrl(request.headers));
    return automationJson(requestOpenedSchema.parse(opened), 201, requestId);
  },
);
