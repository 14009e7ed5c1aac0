import { z } from "zod";
import { classifyUrlHost, refusalMessage } from "@/lib/net/address-rules";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_FORMATS } from "./event-types";

/**
 * Webhook input, shared by the settings form and the service. The URL rule
 * depends on a server setting (MODELPIN_ALLOW_INSECURE_WEBHOOKS), so the
 * schema is built for it: `webhookSchemas({ allowInsecure })`.
 */

export const URL_MAX = 2048;
export const NAME_MAX = 100;

/** The hosts a plain http:// URL may name (and only when MODELPIN_ALLOW_INSECURE_WEBHOOKS=true). */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"] as const;

export const URL_MESSAGES = {
  missing: "Enter the URL that receives the webhooks.",
  tooLong: `URLs are at most ${URL_MAX.toLocaleString("en-US")} characters.`,
  garbage: "Enter a full URL, like https://hooks.example.com/modelpin.",
  scheme: "Only https:// URLs can receive webhooks.",
  credentials: "Remove the user name and password from the URL: receivers check the X-Modelpin-Signature header instead.",
  insecure:
    "Use an https:// URL. Plain http:// is allowed only for localhost, 127.0.0.1 or ::1, and only when the server sets MODELPIN_ALLOW_INSECURE_WEBHOOKS=true.",
  insecureHost:
    "Plain http:// is allowed only for localhost, 127.0.0.1 or ::1 (MODELPIN_ALLOW_INSECURE_WEBHOOKS=true is set). Use an https:// URL for any other host.",
} as const;

export type UrlCheck = { ok: true; url: string } | { ok: false; message: string };

/**
 * The one URL rule for webhooks: an absolute https:// URL without user
 * credentials, whose host is not a non-public IP address or `localhost`;
 * http:// and loopback only when the server allows insecure webhooks. Returns the normalized URL (WHATWG serialization).
 */
export function checkWebhookUrl(input: string, options: { allowInsecure: boolean }): UrlCheck {
  const raw = input.trim();
  if (!raw) return { ok: false, message: URL_MESSAGES.missing };
  if (raw.length > URL_MAX) return { ok: false, message: URL_MESSAGES.tooLong };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme && scheme !== "http" && scheme !== "https" && !/^[a-z0-9.-]+:\d/i.test(raw)) return { ok: false, message: URL_MESSAGES.scheme };
  // "https:example.com" and other relative-looking forms are refused: insist on "scheme://host".
  if (!/^https?:\/\/[^/?#\s]/i.test(raw)) return { ok: false, message: URL_MESSAGES.garbage };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: URL_MESSAGES.garbage };
  }
  if (!url.hostname || /\s/.test(raw)) return { ok: false, message: URL_MESSAGES.garbage };
  if (url.username || url.password) return { ok: false, message: URL_MESSAGES.credentials };
  if (url.protocol === "http:") {
    if (!options.allowInsecure) return { ok: false, message: URL_MESSAGES.insecure };
    if (!isLoopbackHost(url.hostname)) return { ok: false, message: URL_MESSAGES.insecureHost };
  }
  // IP literals in any form the URL parser accepts (2130706433, 0x7f000001, 127.1, [::ffff:127.0.0.1]) are
  // already dotted or bracketed here. Names are resolved and checked by the service and again at connect time.
  const host = classifyUrlHost(url, { allowLoopback: options.allowInsecure });
  if (host.ok === false) return { ok: false, message: refusalMessage(host, "webhooks") };
  const normalized = url.toString();
  if (normalized.length > URL_MAX) return { ok: false, message: URL_MESSAGES.tooLong };
  return { ok: true, url: normalized };
}

/** `hostname` as URL gives it (IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return (LOOPBACK_HOSTS as readonly string[]).includes(h);
}

export function webhookSchemas(options: { allowInsecure: boolean }) {
  const url = z
    .string({ message: URL_MESSAGES.missing })
    .transform((v, ctx) => {
      const r = checkWebhookUrl(v, options);
      if (!r.ok) {
        ctx.addIssue({ code: "custom", message: r.message });
        return z.NEVER;
      }
      return r.url;
    });
  const fields = z.object({
    name: z
      .string({ message: "Enter a name." })
      .trim()
      .min(1, "Enter a name, for example “Platform team Slack”.")
      .max(NAME_MAX, `Names are at most ${NAME_MAX} characters.`),
    url,
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES, { message: `Unknown event. Choose from: ${WEBHOOK_EVENT_TYPES.join(", ")}.` }), {
        message: "Choose at least one event.",
      })
      .min(1, "Choose at least one event.")
      .transform((events) => WEBHOOK_EVENT_TYPES.filter((e) => events.includes(e))),
    format: z.enum(WEBHOOK_FORMATS, { message: "Choose JSON or Slack-compatible." }),
    active: z.boolean({ message: "Say whether the webhook is active." }),
  });
  return {
    create: fields,
    update: fields.extend({ id: webhookIdSchema.shape.id }),
  };
}

export const webhookIdSchema = z.object({ id: z.uuid("This webhook does not exist.") });

export type WebhookInput = z.input<ReturnType<typeof webhookSchemas>["create"]>;
export type WebhookUpdateInput = z.input<ReturnType<typeof webhookSchemas>["update"]>;
export type WebhookIdInput = z.input<typeof webhookIdSchema>;

/** The delivery log's page parameter (keyset cursor "<createdAt ISO>_<id>"). */
export function parseDeliveryCursor(raw: string | undefined): { createdAt: Date; id: bigint } | null {
  if (!raw) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)_(\d{1,19})$/.exec(raw);
  if (!m) return null;
  const createdAt = new Date(m[1]!);
  if (Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id: BigInt(m[2]!) };
}

export function encodeDeliveryCursor(row: { createdAt: Date | string; id: bigint | string }): string {
  const iso = typeof row.createdAt === "string" ? row.createdAt : row.createdAt.toISOString();
  return `${iso}_${String(row.id)}`;
}
