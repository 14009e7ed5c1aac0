import { NextResponse, type NextRequest } from "next/server";

/**
 * Input hygiene only — not an authorization boundary (every page, action and
 * route handler checks its own permission).
 *
 * Next.js answers 500 when a path segment holds a %-escape that does not
 * decode (`/functions/%ZZ`, a lone `%`, broken UTF-8 like `%c0%ae`) before any
 * of our code runs. A URL a user can type must get a clear 400 instead. The
 * matcher keeps every ordinary request (no `%` in the path) away from here.
 */
export function proxy(request: NextRequest): NextResponse | undefined {
  const path = request.nextUrl.pathname;
  try {
    for (const segment of path.split("/")) decodeURIComponent(segment);
    return undefined;
  } catch {
    const message = "The URL path has an invalid %-escape.";
    const body = { error: { code: "invalid_input", message } };
    const headers: Record<string, string> = { "cache-control": "no-store" };
    // The invoke proxy's answers always carry these (empty: no environment is known yet).
    if (path.startsWith("/v1/")) Object.assign(headers, { "x-modelpin-environment": "", "x-modelpin-model-id": "" });
    return NextResponse.json(path.startsWith("/v1/") ? { message, ...body } : body, { status: 400, headers });
  }
}

export const config = {
  matcher: ["/(.*%.*)"],
};
