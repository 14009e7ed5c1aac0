import { z } from "zod";
import { TEXT_LIMITS } from "@/lib/text-limits";

export const REASON_MAX = TEXT_LIMITS.reason;

/** Every pin change carries a reason; it goes into the audit log. */
export const reasonSchema = z
  .string({ message: "Give a reason: it is recorded in the audit log." })
  .trim()
  .min(1, "Give a reason: it is recorded in the audit log.")
  .max(REASON_MAX, "Reasons are at most 2,000 characters.");

export const PIN_KINDS = ["pin", "unpin", "rollback"] as const;
export type PinKind = (typeof PIN_KINDS)[number];

/**
 * A pin change as the caller states it: the version it saw (compare-and-set),
 * the model to pin (null = latest), the reason, and for a rollback the
 * version it restores.
 */
export const setPinSchema = z
  .object({
    environmentId: z.uuid("Unknown environment."),
    functionId: z.string().min(1, "Unknown function.").max(200, "Unknown function."),
    modelRefId: z.uuid("Choose a registered model.").nullable(),
    expectedVersion: z.number({ message: "Reload the page: the pin version is missing." }).int().min(0),
    reason: reasonSchema,
    kind: z.enum(PIN_KINDS, { message: "Unknown kind of pin change." }),
    breakGlass: z.boolean().default(false),
    /** For kind "rollback": the earlier version to restore (0 = latest, before the first pin). */
    restoreVersion: z.number().int().min(0).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.kind === "pin" && v.modelRefId === null) ctx.addIssue({ code: "custom", path: ["modelRefId"], message: "Choose the model to pin." });
    if (v.kind === "unpin" && v.modelRefId !== null) ctx.addIssue({ code: "custom", path: ["modelRefId"], message: "An unpin goes back to latest: no model." });
    if (v.kind === "rollback" && v.restoreVersion === undefined) {
      ctx.addIssue({ code: "custom", path: ["restoreVersion"], message: "Choose the version to roll back to." });
    }
    if (v.kind !== "rollback" && v.restoreVersion !== undefined) {
      ctx.addIssue({ code: "custom", path: ["restoreVersion"], message: "Only a rollback restores a version." });
    }
  });

export type SetPinInput = z.input<typeof setPinSchema>;
