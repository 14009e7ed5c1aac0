/**
 * Security headers (issue 13): the per-request nonce CSP and HSTS that the
 * root proxy.ts sets on pages. The static headers every answer carries
 * (X-Frame-Options, nosniff, Referrer-Policy, Permissions-Policy) are listed
 * once in static-headers.json: next.config.js `headers()` sends them, and so
 * does the invoke proxy's Node fast path, which answers before Next.
 * Pure: no Next imports.
 */
import staticHeaders from "./static-headers.json";

/** The headers every answer carries, as `{ name: value }` in the names' usual case. */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(staticHeaders.map((h: { key: string; value: string }) => [h.key, h.value])),
);

/** 128 random bits, base64: a CSP nonce. */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * The pages' Content-Security-Policy. Scripts run only with this request's
 * nonce ('strict-dynamic' lets Next's nonce'd loader add its chunks); styles
 * allow 'unsafe-inline' because React writes style attributes; images allow
 * data: and blob: (upload previews); nothing may frame the dashboard. In
 * development React needs eval (its call-stack reconstruction) and the HMR
 * websocket.
 */
export function contentSecurityPolicy(nonce: string, options: { dev?: boolean; https?: boolean } = {}): string {
  const dev = options.dev === true;
  const directives: Array<[string, string]> = [
    ["default-src", "'self'"],
    ["script-src", `'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`],
    ["style-src", "'self' 'unsafe-inline'"],
    ["img-src", "'self' data: blob:"],
    ["font-src", "'self' data:"],
    ["connect-src", `'self' blob:${dev ? " ws: wss:" : ""}`],
    ["worker-src", "'self' blob:"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  if (options.https) directives.push(["upgrade-insecure-requests", ""]);
  return directives.map(([k, v]) => (v ? `${k} ${v}` : k)).join("; ");
}

/** HSTS, only when the public URL is https (a plain-http deployment would lock itself out). */
export function strictTransportSecurity(publicUrl: string | undefined): string | null {
  if (!publicUrl) return null;
  try {
    return new URL(publicUrl).protocol === "https:" ? "max-age=31536000; includeSubDomains" : null;
  } catch {
    return null;
  }
}
