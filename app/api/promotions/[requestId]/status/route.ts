import { liveStateRoute } from "@/lib/api/live-state-route";
import { route } from "@/lib/api/route";
import { getRequestLiveState } from "@/lib/promotions/live-state";

const live = liveStateRoute({ param: "requestId", permission: "requests:read", notFound: "That promotion request does not exist." }, getRequestLiveState);

/** A promotion request's status and state version, polled by its page every few seconds while visible. */
export const GET = route(live.options, live.handler);
