import { env } from "@/lib/env";

/**
 * The URL applications use to reach this Modelpin, for examples on the API page:
 * AUTH_URL when set (the public URL of a production deployment), otherwise the
 * Host of the request (with X-Forwarded-Proto/Host behind a proxy).
 */
export function publicBaseUrl(requestHeaders: Headers): string {
  const configured = env().AUTH_URL;
  if (configured) return configured.replace(/\/+$/, "");
  const host = (requestHeaders.get("x-forwarded-host") ?? requestHeaders.get("host") ?? "localhost:3000").split(",")[0]!.trim();
  const proto = (requestHeaders.get("x-forwarded-proto") ?? "http").split(",")[0]!.trim();
  const safeHost = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host) ? host : "localhost:3000";
  return `${proto === "https" ? "https" : "http"}://${safeHost}`;
}
