import { z } from "zod";
import { TEXT_LIMITS } from "@/lib/text-limits";

export const sampleSetNameSchema = z
  .string()
  .trim()
  .min(1, "Give the sample set a name.")
  .max(TEXT_LIMITS.sampleSetName, `Names are at most ${TEXT_LIMITS.sampleSetName} characters.`);

export const renameSampleSetSchema = z.object({ id: z.uuid("Unknown sample set."), name: sampleSetNameSchema });
export const deleteSampleSetSchema = z.object({ id: z.uuid("Unknown sample set.") });
