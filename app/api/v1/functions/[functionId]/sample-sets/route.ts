import { automationError, automationJson, tokenRoute } from "@/lib/automation/route";
import { functionPathSchema } from "@/lib/automation/schemas";
import { uploadSampleSetByToken } from "@/lib/automation/service";

// Uploads stream through this route handler, in bounded memory (lib/samples/upload.ts and its limits).
export const runtime = "nodejs";
export const maxDuration = 300;

/** POST /api/v1/functions/{functionId}/sample-sets (scope evaluate): multipart `name` + `files`, as the dashboard's upload → 201 { id, counts, rejected }. */
export const POST = tokenRoute({ scope: "evaluate", params: functionPathSchema, notFound: "Not a function id." }, async ({ service, params, request, requestId }) => {
  const saved = await uploadSampleSetByToken(service, params.functionId, request);
  if (!saved.ok) return automationError(saved.status, "", saved.message, requestId);
  return automationJson(saved.body, 201, requestId);
});
