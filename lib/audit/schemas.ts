import { z } from "zod";

/** `npm run audit:reanchor -- --reason "…"`: why the chain is re-anchored, for the audit event. */
export const reanchorSchema = z.object({
  reason: z
    .string()
    .trim()
    .min(10, "Say why the audit chain is re-anchored (at least 10 characters), for example which backup was restored.")
    .max(1000, "Keep the reason under 1,000 characters."),
});
export type ReanchorInput = z.input<typeof reanchorSchema>;

const checkpointData = z.object({
  kind: z.string().default("scheduled"),
  count: z.number().int().min(0),
  lastEventId: z.string().regex(/^\d+$/, "must be an event id").nullable(),
  lastHash: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest"),
  hmac: z.string().regex(/^[0-9a-f]{64}$/, "must be an HMAC-SHA256 hex digest"),
  at: z.iso.datetime(),
});

/**
 * A checkpoint held outside the database (`audit:verify --checkpoint file.json`):
 * the `audit.checkpoint` webhook body as received (the JSON envelope), or its `data`.
 */
export const outsideCheckpointSchema = z
  .union([z.object({ type: z.literal("audit.checkpoint"), data: checkpointData }), checkpointData])
  .transform((v) => {
    const d = "data" in v ? v.data : v;
    return {
      kind: d.kind,
      count: BigInt(d.count),
      lastId: d.lastEventId === null ? null : BigInt(d.lastEventId),
      lastHash: d.lastHash,
      hmac: d.hmac,
      at: new Date(d.at),
      source: "outside" as const,
    };
  });
