import { NextResponse, type NextRequest } from "next/server";
import { roleRefusal, routeAllowed } from "@/lib/deployment/role";
import { env } from "@/lib/env";
import { resolvePins } from "@/lib/serving/resolve";

/**
 * Next's Proxy (middleware, Node.js runtime). Two jobs, neither of them an
 * authorization boundary (every page, action and route handler checks its own
 * permission):
 *
 * 1. Input hygiene. Next.js answers 500 when a path segment holds a %-escape
 *    that does not decode (`/functions/%ZZ`, a lone `%`, broken UTF-8 like
 *    `%c0%ae`) before any of our code runs. A URL a user can type must get a
 *    clear 400 instead.
 * 2. The resolve API's token path. `GET /api/v1/environments/{env}/pins[/{fn}]`
 *    with `Authorization` is answered here, from the in-memory serving cache,
 *    before Next routes the request: Next 16 rebuilds a dynamic route's regex
 *    on every request, which costs a token request more than everything
 *    Modelpin does for it (docs/serving.md, "Performance"). The answer is the
 *    same `resolvePins` the route handlers call; requests without
 *    `Authorization` (signed-in members) go on to the route handlers.
 *
 * 3. The deployment role gate (lib/deployment/role.ts): an instance started
 *    with MODELPIN_ROLE=serve answers 404 to everything but the invoke proxy,
 *    the resolve API, /api/health* and /metrics. It runs after the token
 *    resolve path (always allowed), and the matcher keeps the invoke proxy,
 *    health, metrics and Next's static files away from here, so the serving
 *    paths pay nothing for it.
 */
const RESOLVE_PATH = /^\/api\/v1\/environments\/([^/]+)\/pins(?:\/([^/]+))?$/;

export async function proxy(request: NextRequest): Promise<Response | undefined> {
  const path = request.nextUrl.pathname;
  if (path.includes("%") && !decodable(path)) {
    const message = "The URL path has an invalid %-escape.";
    const body = { error: { code: "invalid_input", message } };
    const headers: Record<string, string> = { "cache-control": "no-store" };
    // The invoke proxy's answers always carry these (empty: no environment is known yet).
    if (path.startsWith("/v1/")) Object.assign(headers, { "x-modelpin-environment": "", "x-modelpin-model-id": "" });
    return NextResponse.json(path.startsWith("/v1/") ? { message, ...body } : body, { status: 400, headers });
  }
  if (request.method === "GET" && request.headers.has("authorization")) {
    const match = RESOLVE_PATH.exec(path);
    if (match) return resolvePins(request, match[1]!, match[2]);
  }
  const role = env().role;
  if (!routeAllowed(role, path)) return roleRefusal(role);
  return undefined;
}

function decodable(path: string): boolean {
  try {
    for (const segment of path.split("/")) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

export const config = {
  matcher: [
    "/(.*%.*)",
    "/api/v1/environments/:environment/pins",
    "/api/v1/environments/:environment/pins/:functionId",
    // Everything else the role gate may refuse: not the proxy, health, metrics or Next's own files.
    "/((?!v1/functions/[^/]+/invoke$|api/v1/environments/[^/]+/pins|api/health|metrics$|_next/static/|_next/image).*)",
  ],
};
