import { resolvePins } from "@/lib/serving/resolve";

/**
 * GET /api/v1/environments/{slug}/pins/{functionId}[?at=<ISO time>]
 * One function's pin: `{ functionId, modelId (null = latest), version, updatedAt }`
 * (lib/serving/schemas.ts pinResolutionSchema); 404 JSON for a function that is not synced.
 * Authentication, ETag and errors as the list route.
 */
export async function GET(request: Request, { params }: { params: Promise<{ environment: string; functionId: string }> }): Promise<Response> {
  const { environment, functionId } = await params;
  return resolvePins(request, environment, functionId);
}
