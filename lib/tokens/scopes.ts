/**
 * What an environment API token may do (issue 19). Pure and free of zod (the token form imports it: zod in
 * a client component adds ~25 kB to its page; the form's schema is tokenScopesSchema in schemas.ts). The serving hot path,
 * the automation API, the token form and `npm run token:create` share it.
 * No scope approves, rejects, pins or changes settings.
 */
export const TOKEN_SCOPES = ["read", "invoke", "evaluate", "request"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Tokens made without choosing (and every token made before scopes existed). */
export const DEFAULT_TOKEN_SCOPES: readonly TokenScope[] = ["read", "invoke"];

export const TOKEN_SCOPE_LABELS: Record<TokenScope, string> = {
  read: "Read pins (resolve API)",
  invoke: "Invoke through the proxy",
  evaluate: "Evaluate: register models, upload sample sets, run comparisons",
  request: "Request promotions (open and cancel its own requests)",
};

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === "string" && (TOKEN_SCOPES as readonly string[]).includes(value);
}

/** Scopes in their canonical order, without repeats. */
export function orderScopes(scopes: Iterable<string>): TokenScope[] {
  const set = new Set(scopes);
  return TOKEN_SCOPES.filter((s) => set.has(s));
}

/** `read,evaluate` (the CLI's --scopes) → scopes, or the message naming what is wrong. */
export function parseScopeList(raw: string): { ok: true; scopes: TokenScope[] } | { ok: false; message: string } {
  const parts = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !isTokenScope(p));
  if (unknown.length) return { ok: false, message: `Unknown scope${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")}: scopes are ${TOKEN_SCOPES.join(", ")}.` };
  if (!parts.length) return { ok: false, message: `--scopes needs at least one of ${TOKEN_SCOPES.join(", ")}.` };
  return { ok: true, scopes: orderScopes(parts) };
}
