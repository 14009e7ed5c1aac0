import { z } from "zod";
import { classifyUrlHost, refusalMessage } from "@/lib/net/address-rules";

export const BASE_URL_MESSAGES = {
  https: "The base URL must start with https://.",
  insecure:
    "The base URL must start with https://. Plain http:// is allowed only for a local emulator (localhost, 127.0.0.1 or ::1), and only when the server sets MODELPIN_ALLOW_INSECURE_WEBHOOKS=true.",
  credentials: "Remove the user name and password from the base URL: the client id and secret go in their own fields.",
} as const;

export const SECRET_MESSAGES = {
  missing: "Enter the client secret.",
  /** The saved secret is never sent to a base URL other than the one it was saved with. */
  again: "Enter the client secret again: the saved secret is only ever sent to the saved base URL.",
} as const;

export const nyckelSettingsSchema = z.object({
  baseUrl: z
    .string()
    .trim()
    .min(1, "Enter Nyckel's base URL.")
    .max(2048, "URLs are at most 2,048 characters.")
    .url("Enter a URL like https://www.nyckel.com.")
    .refine((v) => /^https?:\/\//i.test(v), BASE_URL_MESSAGES.https)
    .refine((v) => !/^[a-z]+:\/\/[^/?#]*@/i.test(v), BASE_URL_MESSAGES.credentials)
    .transform((v) => normalizeBaseUrl(v)),
  clientId: z.string().trim().min(1, "Enter the client id.").max(200, "Client ids are at most 200 characters."),
  /** Empty = keep the saved secret (only with the saved base URL). */
  clientSecret: z.string().max(500, "Secrets are at most 500 characters.").optional().default(""),
});

export type NyckelSettingsInput = z.input<typeof nyckelSettingsSchema>;

/** WHATWG serialization without trailing slashes: the form in which base URLs are stored and compared. */
export function normalizeBaseUrl(raw: string): string {
  try {
    const url = new URL(raw.trim());
    return `${url.origin}${url.pathname}${url.search}`.replace(/\/+$/, "");
  } catch {
    return raw.trim().replace(/\/+$/, "");
  }
}

export function sameBaseUrl(a: string, b: string): boolean {
  return normalizeBaseUrl(a) === normalizeBaseUrl(b);
}

/**
 * The base URL rule (beside the save-time DNS check and the connect-time
 * check of lib/net): https://, no credentials, not a non-public IP literal;
 * http:// and loopback only for a local emulator with
 * MODELPIN_ALLOW_INSECURE_WEBHOOKS=true. Returns the message, or null.
 */
export function baseUrlRefusal(baseUrl: string, options: { allowInsecure: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return "Enter a URL like https://www.nyckel.com.";
  }
  if (url.username || url.password) return BASE_URL_MESSAGES.credentials;
  if (url.protocol !== "https:") {
    const strict = classifyUrlHost(url, { allowLoopback: false });
    const loopback = strict.ok === false && strict.kind === "loopback";
    if (url.protocol !== "http:" || !options.allowInsecure || !loopback) return BASE_URL_MESSAGES.insecure;
  }
  const host = classifyUrlHost(url, { allowLoopback: options.allowInsecure });
  return host.ok === false ? refusalMessage(host, "the Nyckel base URL") : null;
}
