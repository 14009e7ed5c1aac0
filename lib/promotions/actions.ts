"use server";

import { revalidatePath } from "next/cache";
import { callService, permittedActionClient } from "@/lib/actions/safe-action";
import { approveRequestSchema, cancelRequestSchema, createRequestSchema, rejectRequestSchema } from "./schemas";
import { approveRequest, cancelRequest, createRequest, rejectRequest, type RequestOutcome } from "./service";

/** After a request changed: the pages that show it (and the pins, when it applied). Returns the outcome for the browser. */
function revalidateRequests(outcome: RequestOutcome): RequestOutcome {
  revalidatePath("/promotions");
  revalidatePath(`/promotions/${outcome.id}`);
  if (outcome.status === "applied") {
    revalidatePath("/");
    revalidatePath("/functions/[functionId]", "page");
  }
  revalidatePath("/audit");
  return outcome;
}

/** Opens a promotion request (the service checks the target, the base pin, the evidence gate, and applies at once under a 0-approval policy). */
export const createPromotionRequestAction = permittedActionClient("requests:create")
  .inputSchema(createRequestSchema)
  .action(
    callService(createRequest, (outcome) => {
      revalidateRequests(outcome);
      revalidatePath("/functions/[functionId]", "page");
      return outcome;
    }),
  );

export const approvePromotionRequestAction = permittedActionClient("requests:decide").inputSchema(approveRequestSchema).action(callService(approveRequest, revalidateRequests));

export const rejectPromotionRequestAction = permittedActionClient("requests:decide").inputSchema(rejectRequestSchema).action(callService(rejectRequest, revalidateRequests));

/** The requester (or an admin) cancels a pending request; the service checks who may. */
export const cancelPromotionRequestAction = permittedActionClient("requests:read").inputSchema(cancelRequestSchema).action(callService(cancelRequest, revalidateRequests));
