/**
 * The cross-site check of cookie-authenticated route handlers (server actions
 * have Next's own). An unsafe method (anything but GET, HEAD, OPTIONS) must
 * prove it comes from a Modelpin page: `Sec-Fetch-Site: same-origin`, or,
 * from a client that does not send fetch metadata, an `Origin` equal to
 * Modelpin's. A request with neither header is refused too.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type OriginVerdict = { ok: true } | { ok: false; message: string };

/** Origins that count as Modelpin's own: the public URL (AUTH_URL) and the URL the request was made to. */
export function ownOrigins(requestUrl: string, publicUrl: string | undefined): Set<string> {
  const origins = new Set<string>();
  for (const u of [requestUrl, publicUrl]) {
    if (!u) continue;
    try {
      origins.add(new URL(u).origin);
    } catch {
      // not a URL: contributes nothing
    }
  }
  return origins;
}

export function checkSameOrigin(request: Pick<Request, "method" | "url" | "headers">, publicUrl: string | undefined): OriginVerdict {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return { ok: true };
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  if (site !== null && site !== "same-origin") {
    return { ok: false, message: `Refused: this request came from another site (Sec-Fetch-Site: ${site.slice(0, 40)}). Use Modelpin's own pages.` };
  }
  if (origin !== null) {
    if (ownOrigins(request.url, publicUrl).has(origin)) return { ok: true };
    return { ok: false, message: `Refused: this request came from another origin (${origin.slice(0, 200)}). Use Modelpin's own pages.` };
  }
  if (site === "same-origin") return { ok: true };
  return { ok: false, message: "Refused: the request says neither where it comes from (Origin) nor Sec-Fetch-Site. Use Modelpin's own pages." };
}
