import { z } from "zod";
import { GATE_DEFAULTS } from "@/lib/promotions/gate";
import { DRIFT_SIGNIFICANCE_DEFAULT } from "./defaults";

/** The significance drift watch's McNemar test uses when a policy names none (the database default too). */
export { DRIFT_SIGNIFICANCE_DEFAULT };

export const slugSchema = z
  .string()
  .trim()
  .min(1, "Enter a slug.")
  .max(40, "Slugs are at most 40 characters.")
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lowercase letters, digits and single dashes, like staging or eu-prod.");

export const environmentPolicySchema = z.object({
  protected: z.boolean(),
  approvalsRequired: z.coerce.number().int("Approvals must be a whole number.").min(0).max(10, "At most 10 approvals."),
  rejectionBlocks: z.boolean(),
  requestExpiryHours: z.coerce.number().int().min(1, "Expiry is at least 1 hour.").max(24 * 365, "Expiry is at most a year.").nullable(),
  minAgreementPct: z.coerce.number().min(0, "Agreement is a percentage from 0 to 100.").max(100, "Agreement is a percentage from 0 to 100.").nullable(),
  minAnsweredSamples: z.coerce
    .number()
    .int("Answered samples must be a whole number.")
    .min(1, "At least 1 answered sample.")
    .max(1_000_000, "At most 1,000,000 answered samples.")
    .default(GATE_DEFAULTS.minAnsweredSamples),
  maxErrorPct: z.coerce.number().min(0, "Errors are a percentage from 0 to 100.").max(100, "Errors are a percentage from 0 to 100.").default(GATE_DEFAULTS.maxErrorPct),
  gateLowerBound: z.boolean().default(GATE_DEFAULTS.lowerBound),
  allowCallerModelOverride: z.boolean().default(false),
  /** Drift watch: evaluate each new model Nyckel reports against this environment's pin on the golden set. */
  watchNewModels: z.boolean().default(false),
  /** Drift watch's verdict with ground truth: McNemar's test at this significance. */
  driftSignificance: z.coerce
    .number("The drift significance is a number between 0 and 0.5, like 0.05.")
    .gt(0, "The drift significance is above 0 and below 0.5, like 0.05.")
    .lt(0.5, "The drift significance is above 0 and below 0.5, like 0.05.")
    .default(DRIFT_SIGNIFICANCE_DEFAULT),
});

export const createEnvironmentSchema = environmentPolicySchema.extend({
  slug: slugSchema,
  name: z.string().trim().min(1, "Enter a name.").max(60, "Names are at most 60 characters."),
  sortOrder: z.coerce.number().int().min(0).max(1000),
});

export const updateEnvironmentSchema = createEnvironmentSchema.omit({ slug: true }).extend({ id: z.uuid("Unknown environment.") });

export type CreateEnvironmentInput = z.input<typeof createEnvironmentSchema>;
export type UpdateEnvironmentInput = z.input<typeof updateEnvironmentSchema>;
