import { liveStateRoute } from "@/lib/api/live-state-route";
import { route } from "@/lib/api/route";
import { getShadowLiveState } from "@/lib/shadow/queries-ui";

const live = liveStateRoute({ param: "shadowId", permission: "functions:read", notFound: "That shadow does not exist." }, getShadowLiveState);

/** A shadow's state and figures' version, polled by its report every few seconds while it is active. */
export const GET = route(live.options, live.handler);
