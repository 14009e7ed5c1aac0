"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { describeSync, syncFunctions } from "./service";

export const syncFunctionsAction = permittedActionClient("functions:sync").action(async ({ ctx }) => {
  const report = await syncFunctions(ctx.service);
  revalidatePath("/functions");
  revalidatePath("/");
  return { report, message: describeSync(report) };
});
