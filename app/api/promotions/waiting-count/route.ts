import { route } from "@/lib/api/route";
import { countWaitingForMe } from "@/lib/promotions/queries";

/**
 * The count of promotion requests waiting for the signed-in member, for the nav badge's polling every few
 * seconds (a GET, so polling never queues behind the page's server actions and navigations).
 */
export const GET = route({ permission: "requests:read" }, async ({ user }) =>
  Response.json({ count: await countWaitingForMe(user) }, { headers: { "cache-control": "no-store" } }),
);
