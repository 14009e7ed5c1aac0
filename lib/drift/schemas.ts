import { z } from "zod";

/** "Evaluate latest now": the function whose latest model drift watch evaluates. */
export const evaluateNowSchema = z.object({
  functionId: z.string({ message: "Unknown function." }).trim().min(1, "Unknown function.").max(200, "Unknown function."),
});
