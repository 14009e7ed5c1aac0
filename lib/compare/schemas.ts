import { z } from "zod";
import { beforeCursorSchema } from "@/lib/keyset";

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

// ---------------------------------------------------------------------------
// Quick compare: one sample, two models, answered at once.

/** Top labels asked of Nyckel for each side of a quick compare. */
export const QUICK_LABEL_COUNT = 5;

/** What a quick compare sends through the server action (images go through POST /api/comparisons/quick). */
export const quickSampleSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("text"),
    text: z.string().trim().min(1, "Enter a text sample.").max(10_000, "A text sample is at most 10,000 characters."),
  }),
  z.object({
    kind: z.literal("tabular"),
    json: z.string().trim().min(1, "Enter the fields as JSON, like {\"plan\": \"pro\", \"seats\": 3}.").max(10_000, "At most 10,000 characters."),
  }),
]);

export const quickCompareSchema = z.object({
  functionId: z.string().min(1, "Choose a function.").max(200),
  modelA: modelChoiceSchema,
  modelB: modelChoiceSchema,
  sample: quickSampleSchema,
});

export type QuickCompareInput = z.input<typeof quickCompareSchema>;

/** One side's answer: the output, or why there is none (Nyckel's error, in words). */
export type QuickSide =
  | {
      ok: true;
      model: string;
      modelId: string | null;
      label: string | null;
      confidence: number;
      labelConfidences: Array<{ label: string | null; confidence: number }>;
      latencyMs: number;
    }
  | { ok: false; model: string; modelId: string | null; message: string };

export type QuickCompareResult = { a: QuickSide; b: QuickSide; agree: boolean | null };

// ---------------------------------------------------------------------------
// The comparisons list: filters from search params.

export const RUN_STATUSES = ["queued", "running", "cancelling", "cancelled", "finished", "failed"] as const;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v ? v : undefined))
    .catch(undefined);

/** Filters of /comparisons. Malformed values are dropped (a hand-edited URL shows the unfiltered list, never an error). */
export const runListFilterSchema = z.object({
  function: optionalText(200),
  status: z.enum(RUN_STATUSES).optional().catch(undefined),
  by: optionalText(320),
  q: optionalText(100),
  before: beforeCursorSchema,
});

export type RunListFilter = z.output<typeof runListFilterSchema>;

/** Path params of the run routes: a run id is a UUID (anything else is a 404). */
export const runIdParams = z.object({ runId: z.uuid() });
/** Path params of the image route. */
export const sampleIdParams = z.object({ sampleId: z.uuid() });
