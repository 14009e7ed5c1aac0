"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { createEnvironmentSchema, updateEnvironmentSchema } from "./schemas";
import { createEnvironment, updateEnvironment } from "./service";

const environmentsAction = permittedActionClient("environments:manage");

function revalidateEnvironments() {
  revalidatePath("/settings/environments");
  revalidatePath("/");
  revalidatePath("/functions/[functionId]", "page");
}

export const createEnvironmentAction = environmentsAction.inputSchema(createEnvironmentSchema).action(async ({ parsedInput, ctx }) => {
  const env = await createEnvironment(ctx.service, parsedInput);
  revalidateEnvironments();
  return { id: env.id, name: env.name, slug: env.slug };
});

export const updateEnvironmentAction = environmentsAction.inputSchema(updateEnvironmentSchema).action(async ({ parsedInput, ctx }) => {
  const env = await updateEnvironment(ctx.service, parsedInput);
  revalidateEnvironments();
  return { id: env.id, name: env.name, slug: env.slug };
});
