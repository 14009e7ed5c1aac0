import { route } from "@/lib/api/route";
import { runSampleColumnsJson } from "@/lib/compare/queries";
import { runIdParams } from "@/lib/compare/schemas";
import { NotFoundError } from "@/lib/errors";

const NOT_FOUND = "That comparison run does not exist.";

/**
 * Every sample of a run with both outcomes (inputs shortened), for the report's
 * virtualized table: `SampleColumns` (lib/compare/sample-filters.ts), one array
 * per field in set order, built by PostgreSQL and passed through. Filtering and
 * sorting happen in the browser, so changing a filter costs no request.
 */
export const GET = route({ permission: "comparisons:read", params: runIdParams, notFound: NOT_FOUND }, async ({ params }) => {
  const json = await runSampleColumnsJson(params.runId);
  if (json === null) throw new NotFoundError(NOT_FOUND);
  return new Response(json, { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "private, no-store" } });
});
