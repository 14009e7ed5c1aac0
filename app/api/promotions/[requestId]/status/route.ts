import { z } from "zod";
import { route } from "@/lib/api/route";
import { NotFoundError } from "@/lib/errors";
import { getRequestLiveState } from "@/lib/promotions/live-state";

const NOT_FOUND = "That promotion request does not exist.";

const params = z.object({ requestId: z.uuid() });

/** A promotion request's status and state version, polled by its page every few seconds while visible. */
export const GET = route({ permission: "requests:read", params, notFound: NOT_FOUND }, async ({ params }) => {
  const state = await getRequestLiveState(params.requestId);
  if (!state) throw new NotFoundError(NOT_FOUND);
  return Response.json(state, { headers: { "cache-control": "no-store" } });
});
