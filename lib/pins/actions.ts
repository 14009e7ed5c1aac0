"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { setPinSchema } from "./schemas";
import { setPin } from "./service";

/** Pin, unpin or roll back (break-glass included: the service checks the environment's policy). */
export const setPinAction = permittedActionClient("pins:write")
  .inputSchema(setPinSchema)
  .action(async ({ parsedInput, ctx }) => {
    const change = await setPin(ctx.service, parsedInput);
    revalidatePath("/");
    revalidatePath("/functions/[functionId]", "page");
    revalidatePath("/audit");
    return {
      environment: change.environment.name,
      kind: change.kind,
      breakGlass: change.breakGlass,
      version: change.after.version,
      model: change.after.model,
    };
  });
