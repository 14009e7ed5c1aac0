import { z } from "zod";

/** Which model a side of a comparison uses: a registered model, "latest", or what an environment pins. */
export const modelChoiceSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("latest") }),
  z.object({ kind: z.literal("model"), modelRefId: z.uuid("Choose a registered model.") }),
  z.object({ kind: z.literal("pinned"), environmentId: z.uuid("Choose an environment.") }),
]);

export const startRunSchema = z.object({
  functionId: z.string().min(1, "Choose a function."),
  sampleSetId: z.uuid("Choose a sample set."),
  modelA: modelChoiceSchema,
  modelB: modelChoiceSchema,
});

export type ModelChoice = z.infer<typeof modelChoiceSchema>;
export type StartRunInput = z.infer<typeof startRunSchema>;
