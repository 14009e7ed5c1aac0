"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { tokenCreateSchema, tokenRevokeSchema } from "./schemas";
import { createApiToken, revokeApiToken } from "./service";

const tokensAction = permittedActionClient("tokens:manage");

/** Returns the token itself once; the page shows it with a copy button and never again. */
export const createApiTokenAction = tokensAction.inputSchema(tokenCreateSchema).action(async ({ parsedInput, ctx }) => {
  const created = await createApiToken(ctx.service, parsedInput);
  revalidatePath("/settings/tokens");
  return {
    id: created.id,
    name: created.name,
    prefix: created.prefix,
    environment: { slug: created.environment.slug, name: created.environment.name },
    expiresAt: created.expiresAt?.toISOString() ?? null,
    scopes: created.scopes,
    token: created.token,
  };
});

export const revokeApiTokenAction = tokensAction.inputSchema(tokenRevokeSchema).action(async ({ parsedInput, ctx }) => {
  const revoked = await revokeApiToken(ctx.service, parsedInput);
  revalidatePath("/settings/tokens");
  return { id: revoked.id, name: revoked.name };
});
