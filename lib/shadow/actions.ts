"use server";

import { revalidatePath } from "next/cache";
import { callService, permittedActionClient } from "@/lib/actions/safe-action";
import { freezeShadowEvidence } from "./evidence";
import { changeShadowSchema, freezeShadowSchema, startShadowSchema, stopShadowSchema } from "./schemas";
import { SHADOW_PERMISSION, changeShadow, startShadow, stopShadow, type ShadowDto } from "./service";

/** After a shadow changed: the function page, the overview and the audit log. Returns the shadow for the browser. */
function revalidateShadow(shadow: ShadowDto): ShadowDto {
  revalidatePath("/");
  revalidatePath("/functions/[functionId]", "page");
  revalidatePath("/audit");
  return shadow;
}

export const startShadowAction = permittedActionClient(SHADOW_PERMISSION).inputSchema(startShadowSchema).action(callService(startShadow, revalidateShadow));

export const changeShadowAction = permittedActionClient(SHADOW_PERMISSION).inputSchema(changeShadowSchema).action(callService(changeShadow, revalidateShadow));

export const stopShadowAction = permittedActionClient(SHADOW_PERMISSION).inputSchema(stopShadowSchema).action(callService(stopShadow, revalidateShadow));

/** Freezes the shadow's report as evidence; the snapshot id goes into a promotion request as `evidenceShadowSnapshotId`. */
export const freezeShadowEvidenceAction = permittedActionClient(SHADOW_PERMISSION)
  .inputSchema(freezeShadowSchema)
  .action(
    callService(freezeShadowEvidence, (frozen) => {
      revalidatePath("/audit");
      return frozen;
    }),
  );
