import { z } from "zod";

/** Mark a sample set as a function's golden set (drift watch), or clear it with `sampleSetId: null`. */
export const setGoldenSetSchema = z.object({
  functionId: z.string().trim().min(1, "Unknown function.").max(200, "Unknown function."),
  sampleSetId: z.uuid("Choose one of this function's sample sets.").nullable(),
});

export type SetGoldenSetInput = z.input<typeof setGoldenSetSchema>;

/** The sample kinds a function of this Nyckel input type can be invoked with. */
export function kindsForInputType(inputType: string): readonly string[] | null {
  switch (inputType.toLowerCase()) {
    case "text":
      return ["text"];
    case "image":
      return ["image", "imageUrl"];
    case "tabular":
      return ["tabular"];
    default:
      return null; // unknown input type: any kind
  }
}
