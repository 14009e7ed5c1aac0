"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { deleteSampleSetSchema, renameSampleSetSchema } from "./schemas";
import { deleteSampleSet, renameSampleSet } from "./service";

const samplesAction = permittedActionClient("samples:write");

export const renameSampleSetAction = samplesAction.inputSchema(renameSampleSetSchema).action(async ({ parsedInput, ctx }) => {
  const set = await renameSampleSet(ctx.service, parsedInput);
  revalidatePath(`/functions/${set.functionId}/samples`);
  return { id: set.id, name: set.name };
});

export const deleteSampleSetAction = samplesAction.inputSchema(deleteSampleSetSchema).action(async ({ parsedInput, ctx }) => {
  const set = await deleteSampleSet(ctx.service, parsedInput);
  revalidatePath(`/functions/${set.functionId}/samples`);
  return { id: set.id };
});
