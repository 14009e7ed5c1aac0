import { z } from "zod";

export const nyckelSettingsSchema = z.object({
  baseUrl: z
    .string()
    .trim()
    .min(1, "Enter Nyckel's base URL.")
    .url("Enter a URL like https://www.nyckel.com.")
    .refine((v) => /^https?:\/\//.test(v), "The base URL must start with https:// (or http:// for a local emulator).")
    .transform((v) => v.replace(/\/+$/, "")),
  clientId: z.string().trim().min(1, "Enter the client id.").max(200, "Client ids are at most 200 characters."),
  /** Empty = keep the saved secret. */
  clientSecret: z.string().max(500, "Secrets are at most 500 characters.").optional().default(""),
});

export type NyckelSettingsInput = z.input<typeof nyckelSettingsSchema>;
