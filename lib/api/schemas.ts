import { z } from "zod";

/** GET /api/health — the whole answer. */
export const healthResponseSchema = z
  .object({ status: z.literal("ok") })
  .meta({ description: "The instance is up and serving requests (PostgreSQL and Nyckel are not checked)." });

export type HealthResponse = z.infer<typeof healthResponseSchema>;
