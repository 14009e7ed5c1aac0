"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { InvalidInputError } from "@/lib/errors";
import { freezeShadowEvidence } from "./evidence";
import { candidatePinnedIn, shadowEvidenceHref } from "./queries-ui";
import { changeShadowSchema, freezeShadowSchema, startShadowSchema, stopShadowSchema } from "./schemas";
import { SHADOW_PERMISSION, changeShadow, startShadow, stopShadow, type ShadowDto } from "./service";

/** Editors start, change, stop and freeze shadows (the service authorizes again). */
const shadowActionClient = permittedActionClient(SHADOW_PERMISSION);

/** `2026-12-14 15:00 UTC`, as the dialog's end field reads. */
const until = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The pages that show a shadow: the overview's marks, the function page, its report, the audit log. */
function revalidateShadow(s: ShadowDto): void {
  revalidatePath("/");
  revalidatePath("/functions/[functionId]", "page");
  revalidatePath(`/functions/${encodeURIComponent(s.functionId)}/shadows/${s.id}`);
  revalidatePath("/audit");
}

export const startShadowAction = shadowActionClient.inputSchema(startShadowSchema).action(async ({ parsedInput, ctx }) => {
  // The candidate must differ from what the environment serves: mirroring the pin to itself measures nothing.
  const pinned = await candidatePinnedIn(parsedInput);
  if (pinned) {
    const message = `${pinned} is pinned to that model now; choose another candidate.`;
    throw new InvalidInputError(message, { candidateModelRefId: [message] });
  }
  const s = await startShadow(ctx.service, parsedInput);
  revalidateShadow(s);
  return { id: s.id, message: `Started a shadow in ${s.environment.name}: ${s.sharePct}% of calls mirrored to ${s.candidate.label} until ${until(s.endsAt)}.` };
});

export const changeShadowAction = shadowActionClient.inputSchema(changeShadowSchema).action(async ({ parsedInput, ctx }) => {
  const s = await changeShadow(ctx.service, parsedInput);
  revalidateShadow(s);
  return { id: s.id, message: `Changed the shadow in ${s.environment.name}: ${s.sharePct}% of calls, at most ${s.maxPerSecond}/s, until ${until(s.endsAt)}.` };
});

export const stopShadowAction = shadowActionClient.inputSchema(stopShadowSchema).action(async ({ parsedInput, ctx }) => {
  const s = await stopShadow(ctx.service, parsedInput);
  revalidateShadow(s);
  return { id: s.id, message: `Stopped the shadow in ${s.environment.name}. Its report stays.` };
});

/**
 * "Use as evidence": freezes the shadow's report so far (window, mirrored count, agreement and its interval)
 * and answers the function page's request form, filled in with the frozen snapshot as evidence.
 */
export const freezeShadowEvidenceAction = shadowActionClient
  .inputSchema(freezeShadowSchema)
  .action(async ({ parsedInput, ctx }) => {
    const frozen = await freezeShadowEvidence(ctx.service, parsedInput);
    revalidatePath("/audit");
    return { snapshotId: frozen.snapshotId, href: await shadowEvidenceHref(parsedInput.shadowId, frozen.snapshotId) };
  });
