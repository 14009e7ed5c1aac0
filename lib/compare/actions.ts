"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { quickCompare } from "./quick";
import { quickCompareSchema, startRunSchema } from "./schemas";
import { cancelComparisonRun, startComparisonRun } from "./service";

const runAction = permittedActionClient("comparisons:run");

export const startComparisonRunAction = runAction.inputSchema(startRunSchema).action(async ({ parsedInput, ctx }) => {
  const run = await startComparisonRun(ctx.service, parsedInput);
  revalidatePath("/comparisons");
  return { id: run.id };
});

export const cancelComparisonRunAction = runAction
  .inputSchema(z.object({ runId: z.uuid("Unknown run.") }))
  .action(async ({ parsedInput, ctx }) => {
    await cancelComparisonRun(ctx.service, parsedInput.runId);
    revalidatePath(`/comparisons/${parsedInput.runId}`);
    return { ok: true };
  });

/** Quick compare of a text or tabular sample (images go through POST /api/comparisons/quick: bodies over 1 MB). */
export const quickCompareAction = runAction.inputSchema(quickCompareSchema).action(async ({ parsedInput, ctx }) => {
  const result = await quickCompare(ctx.service, parsedInput);
  revalidatePath("/audit");
  return result;
});
