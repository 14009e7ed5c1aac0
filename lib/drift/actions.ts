"use server";

import { revalidatePath } from "next/cache";
import { callService, permittedActionClient } from "@/lib/actions/safe-action";
import { evaluateNowSchema } from "./schemas";
import { requestEvaluationNow } from "./service";

/** "Evaluate latest now" on the overview's drift panel (editors). */
export const evaluateLatestNowAction = permittedActionClient("comparisons:run")
  .inputSchema(evaluateNowSchema)
  .action(
    callService(requestEvaluationNow, (result) => {
      revalidatePath("/");
      return result;
    }),
  );
