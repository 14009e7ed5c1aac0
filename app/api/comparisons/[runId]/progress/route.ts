import { route } from "@/lib/api/route";
import { getRunProgress } from "@/lib/compare/queries";
import { runIdParams } from "@/lib/compare/schemas";
import { NotFoundError } from "@/lib/errors";

const NOT_FOUND = "That comparison run does not exist.";

/** Progress of a comparison run, polled by the run page (TanStack Query). */
export const GET = route({ permission: "comparisons:read", params: runIdParams, notFound: NOT_FOUND }, async ({ params }) => {
  const progress = await getRunProgress(params.runId);
  if (!progress) throw new NotFoundError(NOT_FOUND);
  return Response.json(progress, { headers: { "cache-control": "no-store" } });
});
