/**
 * Nyckel id prefixes. Ids are accepted with or without their prefix (`function_abc` or
 * `abc`) and are sent to Nyckel BARE (prefix stripped), as the official Python SDK does.
 */

/**
 * Strips a Nyckel id prefix: `function_abc` → `abc`. Like the official SDK, only an id
 * made of exactly two `_`-separated parts is stripped; anything else (bare ids, slugs
 * such as `toxic-language-identifier`) is returned unchanged.
 */
export function stripPrefix(id: string): string {
  const parts = id.trim().split("_");
  if (parts.length === 2 && parts[0] && parts[1]) return parts[1];
  return id.trim();
}

/**
 * `ensurePrefix("function", "abc")` → `function_abc`. Ids that already carry a prefix and
 * slugs that are not plain alphanumerics (`toxic-language-identifier`) are kept as they are.
 */
export function ensurePrefix(prefix: string, id: string): string {
  const trimmed = id.trim();
  return /^[A-Za-z0-9]+$/.test(trimmed) ? `${prefix}_${trimmed}` : trimmed;
}
