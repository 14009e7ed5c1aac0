"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { nyckelSettingsSchema } from "./schemas";
import { saveNyckelSettings, testNyckelConnection } from "./service";

const nyckelAction = permittedActionClient("nyckel:manage");

export const saveNyckelSettingsAction = nyckelAction.inputSchema(nyckelSettingsSchema).action(async ({ parsedInput, ctx }) => {
  const saved = await saveNyckelSettings(ctx.service, parsedInput);
  revalidatePath("/settings/nyckel");
  return saved;
});

export const testNyckelConnectionAction = nyckelAction.inputSchema(nyckelSettingsSchema).action(async ({ parsedInput, ctx }) => {
  return testNyckelConnection(ctx.service, parsedInput);
});
