import { automationJson, tokenRoute } from "@/lib/automation/route";
import { functionPathSchema, registerModelBodySchema } from "@/lib/automation/schemas";
import { registerModelByToken } from "@/lib/automation/service";

/** POST /api/v1/functions/{functionId}/models (scope evaluate): register a model id; 201, or 200 when already registered. */
export const POST = tokenRoute(
  { scope: "evaluate", params: functionPathSchema, body: registerModelBodySchema, notFound: "Not a function id." },
  async ({ service, params, body, requestId }) => {
    const answer = await registerModelByToken(service, params.functionId, body);
    return automationJson(answer.body, answer.status, requestId);
  },
);
