/**
 * API token format and hashing. Pure (node:crypto only): used by the token
 * service, the serving hot path and tests.
 *
 * A token is `mp_` + base64url of 32 random bytes (43 characters), 46 in all.
 * Only its SHA-256 (hex) is stored; the first characters (`mp_` + 7) are kept
 * for recognising a token in lists.
 */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PREFIX = "mp_";
export const TOKEN_RANDOM_BYTES = 32;
/** Characters of the token shown in lists (e.g. `mp_3fA9xYz`). */
export const TOKEN_DISPLAY_LENGTH = 10;
/** The exact shape of a token: a cheap check before hashing and looking it up. */
export const TOKEN_PATTERN = /^mp_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_RANDOM_BYTES).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, TOKEN_DISPLAY_LENGTH);
}

export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export type BearerParse =
  | { kind: "missing" }
  | { kind: "malformed"; reason: string }
  | { kind: "token"; token: string };

/**
 * Reads `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750).
 * Anything else, including another scheme or a token of the wrong shape, is malformed.
 */
export function parseBearer(header: string | null): BearerParse {
  if (header === null || header.trim() === "") return { kind: "missing" };
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { kind: "malformed", reason: "Send the token as `Authorization: Bearer mp_…`." };
  const token = match[1]!;
  if (!isWellFormedToken(token)) {
    return { kind: "malformed", reason: "That is not a Modelpin API token: tokens start with `mp_` and are 46 characters long." };
  }
  return { kind: "token", token };
}
