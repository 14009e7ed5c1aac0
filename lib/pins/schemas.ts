import { z } from "zod";

export const REASON_MAX = 2000;

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

/**
 * A point in time as people type it: ISO 8601 with a zone, or a
 * `YYYY-MM-DDTHH:mm[:ss]` / `YYYY-MM-DD HH:mm` local form read as UTC.
 * Returns null when it is not a time.
 */
export function parsePointInTime(raw: string): Date | null {
  const s = raw.trim();
  if (!s || s.length > 40) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 2000 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const z = zone.replace(":", "");
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (z.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((frac + "000").slice(0, 3));
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}
