import { route } from "@/lib/api/route";
import { runCsvStream } from "@/lib/compare/export";
import { getComparisonRun } from "@/lib/compare/queries";
import { runIdParams } from "@/lib/compare/schemas";
import { NotFoundError } from "@/lib/errors";
import { logger } from "@/lib/logger";

const NOT_FOUND = "That comparison run does not exist.";

/** The whole run as CSV, streamed: one row per sample with both outputs. */
export const GET = route({ permission: "comparisons:read", params: runIdParams, notFound: NOT_FOUND }, async ({ params, requestId }) => {
  const run = await getComparisonRun(params.runId);
  if (!run) throw new NotFoundError(NOT_FOUND);
  const stream = runCsvStream(run.id, { onError: (err) => logger.error({ err, requestId }, "comparison export failed") });
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="comparison-${run.id}.csv"`,
      "cache-control": "no-store",
    },
  });
});
