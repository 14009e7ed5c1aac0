import { resolvePins } from "@/lib/serving/resolve";

/**
 * GET /api/v1/environments/{slug}/pins[?at=<ISO time>]
 * Every synced function's pin in the environment (modelId null = latest):
 * `{ environment, at, pins: [{ functionId, functionName, modelId, version, updatedAt }] }`
 * (lib/serving/schemas.ts environmentPinsSchema).
 * `Authorization: Bearer <environment token>` (served from the in-memory cache; GETs with a
 * token are answered by proxy.ts before they get here, with this same resolvePins), or a
 * signed-in member with pins:read. Strong ETag + If-None-Match → 304. Errors are JSON
 * `{ error: { code, message } }`: 400 bad `at`, 401, 403 (another environment's token),
 * 404 unknown environment (members), 503 database unreachable while cold; never a redirect.
 */
export async function GET(request: Request, { params }: { params: Promise<{ environment: string }> }): Promise<Response> {
  const { environment } = await params;
  return resolvePins(request, environment);
}
