import { z } from "zod";
import { TEXT_LIMITS } from "@/lib/text-limits";

/**
 * Input of the shadow service (issue 18). No server-only import: the shadow form
 * shows the same limits. Times are ISO strings or Dates (a form sends strings).
 */

export const SHADOW_LIMITS = {
  /** Share of proxied requests mirrored, in percent. */
  minSharePct: 1,
  maxSharePct: 100,
  /** Mirrored calls per second (per process) at most. */
  maxPerSecond: 1000,
  defaultMaxPerSecond: 5,
  /** Default and longest running time. */
  defaultDays: 7,
  maxDays: 90,
  /** Disagreeing inputs kept per shadow (with keepInputs). */
  reservoirSize: 500,
  /** Bodies over this are not mirrored (counted as too_large). */
  maxBodyBytes: 1024 * 1024,
} as const;

const uuid = (what: string) => z.uuid(`Unknown ${what}.`);
const sharePct = z.coerce
  .number({ message: "The share is a whole percentage from 1 to 100." })
  .int("The share is a whole percentage from 1 to 100.")
  .min(SHADOW_LIMITS.minSharePct, "The share is a whole percentage from 1 to 100.")
  .max(SHADOW_LIMITS.maxSharePct, "The share is a whole percentage from 1 to 100.");
const maxPerSecond = z.coerce
  .number({ message: `The cap is a whole number of calls per second from 1 to ${SHADOW_LIMITS.maxPerSecond}.` })
  .int(`The cap is a whole number of calls per second from 1 to ${SHADOW_LIMITS.maxPerSecond}.`)
  .min(1, `The cap is a whole number of calls per second from 1 to ${SHADOW_LIMITS.maxPerSecond}.`)
  .max(SHADOW_LIMITS.maxPerSecond, `The cap is a whole number of calls per second from 1 to ${SHADOW_LIMITS.maxPerSecond}.`);
const endsAt = z.coerce.date({ message: "The end time is not a valid date and time." });
const keepInputs = z.boolean({ message: "Keep inputs is on or off." });
const reason = z.string().trim().max(TEXT_LIMITS.reason, `The reason is at most ${TEXT_LIMITS.reason} characters.`);

export const startShadowSchema = z.object({
  functionId: z.string({ message: "Unknown function." }).trim().min(1, "Unknown function.").max(200, "Unknown function."),
  environmentId: uuid("environment"),
  /** The candidate: a registered model of the function (models.id), not retired. */
  candidateModelRefId: uuid("model"),
  sharePct,
  maxPerSecond: maxPerSecond.default(SHADOW_LIMITS.defaultMaxPerSecond),
  /** Default: 7 days from now. */
  endsAt: endsAt.optional(),
  keepInputs: keepInputs.default(false),
  reason: reason.default(""),
});
export type StartShadowInput = z.input<typeof startShadowSchema>;

export const changeShadowSchema = z.object({
  shadowId: uuid("shadow"),
  sharePct: sharePct.optional(),
  maxPerSecond: maxPerSecond.optional(),
  endsAt: endsAt.optional(),
  keepInputs: keepInputs.optional(),
  reason: reason.default(""),
});
export type ChangeShadowInput = z.input<typeof changeShadowSchema>;

export const stopShadowSchema = z.object({ shadowId: uuid("shadow"), reason: reason.default("") });
export type StopShadowInput = z.input<typeof stopShadowSchema>;

export const freezeShadowSchema = z.object({
  shadowId: uuid("shadow"),
  /** The window frozen: default from the shadow's start to now. */
  from: z.coerce.date({ message: "The window's start is not a valid date and time." }).optional(),
  to: z.coerce.date({ message: "The window's end is not a valid date and time." }).optional(),
});
export type FreezeShadowInput = z.input<typeof freezeShadowSchema>;
