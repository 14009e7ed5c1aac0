import { route } from "@/lib/api/route";
import { auditExportStream, exportFileName, type ExportFormat } from "@/lib/audit/export";
import { parseAuditQuery } from "@/lib/audit/queries";
import { InvalidInputError } from "@/lib/errors";
import { logger } from "@/lib/logger";

/**
 * GET /api/audit/export?format=csv|json&function=…&environment=…&actor=…&action=…&from=…&to=…
 * The filtered audit log, streamed (no size limit). Needs audit:read.
 */
export const GET = route({ permission: "audit:read" }, async ({ request, requestId }) => {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const format = (params.format || "csv") as ExportFormat;
  if (format !== "csv" && format !== "json") throw new InvalidInputError("Choose format=csv or format=json.", { format: ["Choose csv or json."] });
  const { filter, errors } = parseAuditQuery(params);
  if (errors.length) throw new InvalidInputError(errors.join(" "));
  const stream = auditExportStream(filter, format, {
    onError: (err) => logger.error({ err, requestId }, "audit export failed"),
  });
  return new Response(stream, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="${exportFileName(format)}"`,
      "cache-control": "no-store",
    },
  });
});
