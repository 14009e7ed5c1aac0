"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { setGoldenSet } from "./golden";
import { syncAndWatch } from "./scheduled-sync";
import { setGoldenSetSchema } from "./schemas";
import { describeSync } from "./service";

/** "Sync now": the same as the scheduled sync (a discovered model with a golden set is evaluated), as the member. */
export const syncFunctionsAction = permittedActionClient("functions:sync").action(async ({ ctx }) => {
  const { report } = await syncAndWatch(ctx.service);
  revalidatePath("/functions");
  revalidatePath("/");
  return { report, message: describeSync(report) };
});

export const setGoldenSetAction = permittedActionClient("samples:write")
  .inputSchema(setGoldenSetSchema)
  .action(async ({ parsedInput, ctx }) => {
    const change = await setGoldenSet(ctx.service, parsedInput);
    const path = `/functions/${encodeURIComponent(change.functionId)}`;
    revalidatePath(path);
    revalidatePath(`${path}/samples`);
    return {
      goldenSet: change.after,
      message: !change.changed
        ? change.after
          ? `"${change.after.name}" is already the golden set.`
          : "There is no golden set to clear."
        : change.after
          ? `"${change.after.name}" is now the golden set.`
          : "Cleared the golden set: drift watch has nothing to evaluate new models on.",
    };
  });
