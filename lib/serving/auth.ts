import "server-only";
import { orderScopes, type TokenScope } from "@/lib/tokens/scopes";
import { hashToken, parseBearer } from "@/lib/tokens/secret";
import type { EnvironmentEntry, ServingSnapshot, TokenEntry } from "./cache";
import type { ApiErrorCode } from "./schemas";

export type TokenAuth =
  | { ok: true; token: TokenEntry; environment: EnvironmentEntry }
  | {
      ok: false;
      code: Extract<ApiErrorCode, "token_missing" | "token_malformed" | "token_invalid" | "token_expired" | "token_revoked">;
      message: string;
    };

/**
 * Checks `Authorization: Bearer <token>` against the snapshot: a hash and two
 * map lookups, no database. Every failure is a 401 with its own code.
 */
export function authenticateToken(snapshot: ServingSnapshot, authorization: string | null, now: number = Date.now()): TokenAuth {
  const parsed = parseBearer(authorization);
  if (parsed.kind === "missing") {
    return { ok: false, code: "token_missing", message: "Send an environment API token: `Authorization: Bearer mp_…` (Settings → API tokens)." };
  }
  if (parsed.kind === "malformed") return { ok: false, code: "token_malformed", message: parsed.reason };
  const token = snapshot.tokens.get(hashToken(parsed.token));
  const environment = token ? snapshot.content.environmentsById.get(token.environmentId) : undefined;
  if (!token || !environment) {
    return { ok: false, code: "token_invalid", message: "This API token is not known to Modelpin. Check that it was copied completely." };
  }
  if (token.revokedAt !== null) {
    return { ok: false, code: "token_revoked", message: "This API token was revoked. Ask an admin for a new one (Settings → API tokens)." };
  }
  if (token.expiresAt !== null && token.expiresAt <= now) {
    return {
      ok: false,
      code: "token_expired",
      message: `This API token expired at ${new Date(token.expiresAt).toISOString()}. Ask an admin for a new one (Settings → API tokens).`,
    };
  }
  return { ok: true, token, environment };
}

export type ScopeRefusal = { code: "scope_missing"; scope: TokenScope; message: string };

/** Null when the token has `scope`; otherwise the 403 `scope_missing` naming it (issue 19). */
export function missingScope(token: TokenEntry, scope: TokenScope): ScopeRefusal | null {
  if (token.scopes.has(scope)) return null;
  const has = orderScopes(token.scopes);
  return {
    code: "scope_missing",
    scope,
    message: `This API token lacks the scope \`${scope}\`. It has ${has.join(", ") || "no scopes"}. Ask an admin for a token with ${scope} (Settings → API tokens).`,
  };
}
