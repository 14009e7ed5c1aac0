import { route } from "@/lib/api/route";
import { getBudgetView } from "@/lib/nyckel-settings/budget-view";

/** The Nyckel budget as Settings → Nyckel shows it, polled about once a second (TanStack Query). */
export const dynamic = "force-dynamic";

export const GET = route({ permission: "nyckel:manage" }, async () => {
  return Response.json(await getBudgetView(), { headers: { "cache-control": "no-store" } });
});
