import { NextResponse, type NextRequest } from "next/server";
import { roleRefusal, routeAllowed } from "@/lib/deployment/role";
import { env } from "@/lib/env";
import { contentSecurityPolicy, createNonce, strictTransportSecurity } from "@/lib/security/headers";
import { resolvePins } from "@/lib/serving/resolve";

/**
 * Next's Proxy (middleware, Node.js runtime). Three jobs, none of them an
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
 * 3. Pages' security headers: a fresh CSP nonce per page request, passed to
 *    Next on the request (it stamps its own scripts with it) and sent as the
 *    answer's Content-Security-Policy, plus HSTS when the public URL is
 *    https (lib/security/headers.ts). The static headers of every answer are
 *    in next.config.js.
 * 4. The deployment role gate (lib/deployment/role.ts): an instance started
 *    with MODELPIN_ROLE=serve answers 404 to everything but the invoke proxy,
 *    the resolve API, /api/health* and /metrics. It runs after the token
 *    resolve path (always allowed). Cookie route handlers are gated by their
 *    wrapper (lib/api/route.ts) instead of here.
 *
 * The matcher keeps route handlers with bodies (uploads, the invoke proxy)
 * away from here: Next buffers the body of every request its Proxy sees and
 * cuts it at 10 MB. It also skips health, metrics and Next's static files, so
 * the serving paths pay nothing.
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
  if (isPage(path)) return withPageSecurityHeaders(request);
  return undefined;
}

const hsts = strictTransportSecurity(process.env.AUTH_URL);
const dev = process.env.NODE_ENV === "development";

function isPage(path: string): boolean {
  return !/^\/(?:api\/|v1\/|_next\/)/.test(path) && path !== "/metrics" && !PUBLIC_FILES.has(path) && path !== "/cli.mjs";
}

/** public/'s files: served to anyone (the sign-in page needs its icon), never through this proxy. */
const PUBLIC_FILES = new Set(["/favicon.ico", "/icon.svg", "/apple-touch-icon.png", "/robots.txt"]);

function withPageSecurityHeaders(request: NextRequest): NextResponse {
  const nonce = createNonce();
  const csp = contentSecurityPolicy(nonce, { dev, https: hsts !== null });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (hsts) response.headers.set("strict-transport-security", hsts);
  return response;
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
    // Pages (and their server actions): everything but route handlers, the invoke proxy, Next's files,
    // public/'s files (PUBLIC_FILES) and metrics.
    "/((?!api/|v1/|_next/|favicon\\.ico$|icon\\.svg$|apple-touch-icon\\.png$|robots\\.txt$|metrics$).*)",
    // Bodiless route handlers the role gate refuses on a serving instance.
    "/api/auth/:path*",
    "/api/openapi.json",
  ],
};
