import { z } from "zod";

/** GET /api/health — the whole answer. */
export const healthResponseSchema = z
  .object({
    status: z.literal("ok"),
    role: z
      .enum(["all", "web", "serve", "worker"])
      .meta({ description: "The instance's MODELPIN_ROLE: all, web (dashboard and APIs), serve (invoke proxy and resolve API only) or worker." }),
  })
  .meta({ description: "The instance is up and serving requests (PostgreSQL and Nyckel are not checked; see /api/health/database)." });

export type HealthResponse = z.infer<typeof healthResponseSchema>;
