import { z } from "zod";
import { route } from "@/lib/api/route";
import { NotFoundError } from "@/lib/errors";
import { getShadowLiveState } from "@/lib/shadow/queries-ui";

const NOT_FOUND = "That shadow does not exist.";

const params = z.object({ shadowId: z.uuid() });

/** A shadow's state and figures' version, polled by its report every few seconds while it is active. */
export const GET = route({ permission: "functions:read", params, notFound: NOT_FOUND }, async ({ params }) => {
  const state = await getShadowLiveState(params.shadowId);
  if (!state) throw new NotFoundError(NOT_FOUND);
  return Response.json(state, { headers: { "cache-control": "no-store" } });
});
