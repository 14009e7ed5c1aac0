/**
 * Any /api path that no route handler serves: a JSON 404 for every method.
 * Without it, a POST to such a path (e.g. `/api/functions/../sample-sets`,
 * which Next normalizes to `/api/sample-sets`) with a multipart body fell
 * through to Next's page renderer, which took it for a no-JavaScript server
 * action submission and answered 500 "Invalid Server Actions request".
 * No session is needed: it reveals nothing and changes nothing.
 */
export const dynamic = "force-dynamic";

function notFound(): Response {
  return Response.json(
    { error: { code: "not_found", message: "There is no API at this path. The API is described at /api/openapi.json." } },
    { status: 404, headers: { "cache-control": "no-store" } },
  );
}

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
