"use server";

import { revalidatePath } from "next/cache";
import { callService, permittedActionClient } from "@/lib/actions/safe-action";
import { createEnvironmentSchema, updateEnvironmentSchema } from "./schemas";
import { createEnvironment, updateEnvironment } from "./service";

const environmentsAction = permittedActionClient("environments:manage");

/** After an environment changed: the pages that show it, and what the browser gets back. */
function environmentChanged(env: { id: string; name: string; slug: string }) {
  revalidatePath("/settings/environments");
  revalidatePath("/");
  revalidatePath("/functions/[functionId]", "page");
  return { id: env.id, name: env.name, slug: env.slug };
}

export const createEnvironmentAction = environmentsAction.inputSchema(createEnvironmentSchema).action(callService(createEnvironment, environmentChanged));

export const updateEnvironmentAction = environmentsAction.inputSchema(updateEnvironmentSchema).action(callService(updateEnvironment, environmentChanged));
