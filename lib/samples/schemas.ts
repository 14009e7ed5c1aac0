import { z } from "zod";

export const sampleSetNameSchema = z
  .string()
  .trim()
  .min(1, "Give the sample set a name.")
  .max(100, "Names are at most 100 characters.");

export const renameSampleSetSchema = z.object({ id: z.uuid("Unknown sample set."), name: sampleSetNameSchema });
export const deleteSampleSetSchema = z.object({ id: z.uuid("Unknown sample set.") });
