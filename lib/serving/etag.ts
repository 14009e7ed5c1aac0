/**
 * Strong ETags for the resolve API and If-None-Match matching (RFC 9110 §8.8.3,
 * §13.1.2). Pure.
 */
import { createHash } from "node:crypto";

/** A strong validator of exactly these bytes: `"<base64url of SHA-256, 22 chars>"`. */
export function strongEtag(body: string): string {
  return `"${createHash("sha256").update(body, "utf8").digest("base64url").slice(0, 22)}"`;
}

/**
 * Whether an If-None-Match header matches `etag`. If-None-Match uses the weak
 * comparison: `W/"x"` matches `"x"`; `*` matches any current representation.
 */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const value = header.trim();
  if (value === "") return false;
  if (value === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  // Entity tags are quoted strings without embedded quotes, separated by commas.
  for (const match of value.matchAll(/(?:W\/)?"[^"]*"/g)) {
    if (match[0].replace(/^W\//, "") === opaque) return true;
  }
  return false;
}
