"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { approveRequestSchema, cancelRequestSchema, createRequestSchema, rejectRequestSchema } from "./schemas";
import { approveRequest, cancelRequest, createRequest, rejectRequest, type RequestOutcome } from "./service";

function revalidateRequests(outcome: RequestOutcome) {
  revalidatePath("/promotions");
  revalidatePath(`/promotions/${outcome.id}`);
  if (outcome.status === "applied") {
    revalidatePath("/");
    revalidatePath("/functions/[functionId]", "page");
  }
  revalidatePath("/audit");
}

/** Opens a promotion request (the service checks the target, the base pin, the evidence gate, and applies at once under a 0-approval policy). */
export const createPromotionRequestAction = permittedActionClient("requests:create")
  .inputSchema(createRequestSchema)
  .action(async ({ parsedInput, ctx }) => {
    const outcome = await createRequest(ctx.service, parsedInput);
    revalidateRequests(outcome);
    revalidatePath("/functions/[functionId]", "page");
    return outcome;
  });

export const approvePromotionRequestAction = permittedActionClient("requests:decide")
  .inputSchema(approveRequestSchema)
  .action(async ({ parsedInput, ctx }) => {
    const outcome = await approveRequest(ctx.service, parsedInput);
    revalidateRequests(outcome);
    return outcome;
  });

export const rejectPromotionRequestAction = permittedActionClient("requests:decide")
  .inputSchema(rejectRequestSchema)
  .action(async ({ parsedInput, ctx }) => {
    const outcome = await rejectRequest(ctx.service, parsedInput);
    revalidateRequests(outcome);
    return outcome;
  });

/** The requester (or an admin) cancels a pending request; the service checks who may. */
export const cancelPromotionRequestAction = permittedActionClient("requests:read")
  .inputSchema(cancelRequestSchema)
  .action(async ({ parsedInput, ctx }) => {
    const outcome = await cancelRequest(ctx.service, parsedInput);
    revalidateRequests(outcome);
    return outcome;
  });
