import { getOpenApiJson } from "@/lib/api/openapi";
import { ifNoneMatchMatches, strongEtag } from "@/lib/serving/etag";

/**
 * GET /api/openapi.json — Modelpin's OpenAPI 3.1 document, generated from the zod
 * schemas the routes use (lib/api/openapi.ts). Public (it describes the API, it
 * reveals no data) and cacheable: it changes only with a new release.
 */
// Dynamic so that If-None-Match is answered with 304; the JSON itself is built once per process.
export const dynamic = "force-dynamic";

export function GET(request: Request): Response {
  const body = getOpenApiJson();
  const etag = strongEtag(body);
  const headers = {
    etag,
    "cache-control": "public, max-age=300, must-revalidate",
    "access-control-allow-origin": "*",
  };
  if (ifNoneMatchMatches(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
}
