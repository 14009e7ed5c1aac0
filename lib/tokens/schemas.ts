import { z } from "zod";
import { DEFAULT_TOKEN_SCOPES, TOKEN_SCOPES, orderScopes } from "./scopes";

export const tokenScopesSchema = z
  .array(z.enum(TOKEN_SCOPES, { message: `A scope is one of ${TOKEN_SCOPES.join(", ")}.` }))
  .min(1, "Choose at least one scope.")
  .transform(orderScopes)
  .default([...DEFAULT_TOKEN_SCOPES]);

export const TOKEN_NAME_MAX = 80;
export const TOKEN_EXPIRY_MAX_DAYS = 3650;

export const tokenNameSchema = z
  .string({ message: "Give the token a name." })
  .trim()
  .min(1, "Give the token a name, e.g. the application that will use it.")
  .max(TOKEN_NAME_MAX, `Names are at most ${TOKEN_NAME_MAX} characters.`);

/** Days until the token stops working; null (or absent) = never expires. */
export const tokenExpiresInDaysSchema = z.coerce
  .number({ message: "Expiry is a number of days." })
  .int("Expiry is a whole number of days.")
  .min(1, "Expiry is at least 1 day.")
  .max(TOKEN_EXPIRY_MAX_DAYS, `Expiry is at most ${TOKEN_EXPIRY_MAX_DAYS} days (10 years).`)
  .nullable()
  .default(null);

/** Create an environment token (Settings → API tokens, `npm run token:create`). */
export const tokenCreateSchema = z.object({
  name: tokenNameSchema,
  environmentId: z.uuid("Choose an environment."),
  expiresInDays: tokenExpiresInDaysSchema,
  /** Absent: read and invoke (what every token could do before scopes). */
  scopes: tokenScopesSchema,
});

export const tokenRevokeSchema = z.object({
  id: z.uuid("Unknown token."),
});

export type TokenCreateInput = z.input<typeof tokenCreateSchema>;
export type TokenRevokeInput = z.input<typeof tokenRevokeSchema>;

export const TOKEN_STATUSES = ["active", "expired", "revoked"] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export function tokenStatus(token: { revokedAt: Date | null; expiresAt: Date | null }, now: number = Date.now()): TokenStatus {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt.getTime() <= now) return "expired";
  return "active";
}
