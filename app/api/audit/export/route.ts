import { auditExportStream, exportFileName, type ExportFormat } from "@/lib/audit/export";
import { parseAuditQuery } from "@/lib/audit/queries";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { newRequestId } from "@/lib/context";
import { logger } from "@/lib/logger";

/**
 * GET /api/audit/export?format=csv|json&function=…&environment=…&actor=…&action=…&from=…&to=…
 * The filtered audit log, streamed (no size limit). Needs audit:read.
 */
export async function GET(request: Request): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return Response.json({ error: "unauthorized", message: "Sign in to export the audit log." }, { status: 401 });
  if (!can(user.role, "audit:read")) return Response.json({ error: "forbidden", message: "You are not allowed to do this." }, { status: 403 });
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const format = (params.format || "csv") as ExportFormat;
  if (format !== "csv" && format !== "json") {
    return Response.json({ error: "invalid_input", message: "Choose format=csv or format=json." }, { status: 400 });
  }
  const { filter, errors } = parseAuditQuery(params);
  if (errors.length) return Response.json({ error: "invalid_input", message: errors.join(" ") }, { status: 400 });
  const requestId = newRequestId();
  const stream = auditExportStream(filter, format, {
    onError: (err) => logger.error({ err, requestId }, "audit export failed"),
  });
  return new Response(stream, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="${exportFileName(format)}"`,
      "cache-control": "no-store",
      "x-request-id": requestId,
    },
  });
}
