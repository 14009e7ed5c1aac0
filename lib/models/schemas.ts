import { z } from "zod";
import { TEXT_LIMITS } from "@/lib/text-limits";

/** A Nyckel model id as pasted from the console's "Model Info" panel (surrounding whitespace is trimmed). */
export const modelIdSchema = z
  .string({ message: "Enter the model id." })
  .trim()
  .superRefine((v, ctx) => {
    // One message per problem, the most basic first.
    const problem = !v
      ? "Enter the model id, as shown in the Model Info panel of the function in the Nyckel console."
      : v.length > 100
        ? "Model ids are at most 100 characters."
        : /\s/.test(v)
          ? "Model ids contain no spaces."
          : !/^[A-Za-z0-9_-]+$/.test(v)
            ? "Model ids use only letters, digits, _ and -, like model_abc123."
            : null;
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const nicknameSchema = z
  .string({ message: "Enter a nickname." })
  .trim()
  .min(1, "Enter a nickname, like “March retrain”.")
  .max(TEXT_LIMITS.nickname, `Nicknames are at most ${TEXT_LIMITS.nickname} characters.`);

export const notesSchema = z.string().trim().max(TEXT_LIMITS.notes, "Notes are at most 2,000 characters.").default("");

export const registerModelSchema = z.object({
  functionId: z.string().min(1, "Unknown function.").max(200),
  modelId: modelIdSchema,
  nickname: nicknameSchema,
  notes: notesSchema,
});

export const updateModelSchema = z.object({
  id: z.uuid("Unknown model."),
  nickname: nicknameSchema,
  notes: notesSchema,
});

export const retireModelSchema = z.object({ id: z.uuid("Unknown model.") });
/** Undoes a retirement (same input as retire). */
export const restoreModelSchema = retireModelSchema;

/** 600 KB: the sample travels base64-encoded in a server action (1 MB body limit). */
export const CHECK_IMAGE_MAX_BYTES = 600 * 1024;

export const checkSampleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("text"), text: z.string().trim().min(1, "Enter a text sample.").max(10_000, "Text samples are at most 10,000 characters.") }),
  z.object({
    kind: z.literal("image"),
    mimeType: z.string().regex(/^image\/[a-z0-9.+-]+$/i, "Choose an image file (PNG, JPEG, GIF or WebP)."),
    dataBase64: z
      .string()
      .min(1, "Choose an image file.")
      .max(Math.ceil((CHECK_IMAGE_MAX_BYTES * 4) / 3) + 4, "Images for a check are at most 600 KB.")
      .regex(/^[A-Za-z0-9+/]+=*$/, "The image could not be read."),
  }),
  z.object({
    kind: z.literal("tabular"),
    json: z.string().trim().min(1, "Enter the fields as JSON, like {\"plan\": \"pro\", \"seats\": 3}.").max(10_000, "At most 10,000 characters."),
  }),
]);

export const checkModelSchema = z.object({
  id: z.uuid("Unknown model."),
  sample: checkSampleSchema,
});

export type RegisterModelInput = z.input<typeof registerModelSchema>;
export type UpdateModelInput = z.input<typeof updateModelSchema>;
export type CheckModelInput = z.input<typeof checkModelSchema>;
export type CheckSample = z.output<typeof checkSampleSchema>;
