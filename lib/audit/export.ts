import "server-only";
import { prisma } from "@/lib/db/client";
import { getPgPool } from "@/lib/db/pool";
import { csvCell } from "@/lib/csv";
import { getAuditLookups, listAuditEvents, pgRunner, type AuditCursor, type AuditFilter, type AuditLookups, type AuditRow, type AuditSqlRunner } from "./queries";

/**
 * The audit export: the filtered set, newest first, as CSV or JSON, streamed.
 * It pulls keyset batches through listAuditEvents (the page's query, run on
 * a plain pg pool: see lib/db/pool.ts) only when the consumer asks for more,
 * so memory stays flat at any size.
 */

export type ExportFormat = "csv" | "json";

export const CSV_COLUMNS = [
  "id",
  "created_at",
  "actor",
  "actor_id",
  "action",
  "function_id",
  "function_name",
  "environment_id",
  "environment_name",
  "environment_slug",
  "target_type",
  "target_id",
  "reason",
  "before",
  "after",
  "request_id",
  "prev_hash",
  "hash",
] as const;

function csvLine(r: AuditRow, names: Names): string {
  return (
    [
      r.id,
      r.createdAt.toISOString(),
      r.actorLabel,
      r.actorId,
      r.action,
      r.functionId,
      r.functionId ? (names.functions.get(r.functionId) ?? "") : "",
      r.environmentId,
      envName(r, names),
      envSlug(r, names),
      r.targetType,
      r.targetId,
      r.reason,
      r.beforeJson,
      r.afterJson,
      r.requestId,
      r.prevHash,
      r.hash,
    ]
      .map(csvCell)
      .join(",") + "\r\n"
  );
}

/** One JSON object; before/after are PostgreSQL's JSON text, spliced in as they are. */
function jsonRecord(r: AuditRow, names: Names): string {
  const head = JSON.stringify({
    id: r.id,
    createdAt: r.createdAt.toISOString(),
    actor: r.actorLabel,
    actorId: r.actorId,
    action: r.action,
    functionId: r.functionId,
    functionName: r.functionId ? (names.functions.get(r.functionId) ?? null) : null,
    environmentId: r.environmentId,
    environmentName: envName(r, names) || null,
    environmentSlug: envSlug(r, names) || null,
    targetType: r.targetType,
    targetId: r.targetId,
    reason: r.reason,
    requestId: r.requestId,
    prevHash: r.prevHash,
    hash: r.hash,
  });
  return `${head.slice(0, -1)},"before":${r.beforeJson ?? "null"},"after":${r.afterJson ?? "null"}}`;
}

type Names = { functions: Map<string, string>; environments: Map<string, { name: string; slug: string }> };

const envName = (r: AuditRow, names: Names) => (r.environmentId ? (names.environments.get(r.environmentId)?.name ?? "") : "");
const envSlug = (r: AuditRow, names: Names) => (r.environmentId ? (names.environments.get(r.environmentId)?.slug ?? "") : "");

function namesFrom(lookups: Pick<AuditLookups, "functions" | "environments">): Names {
  return {
    functions: new Map(lookups.functions.map((f) => [f.id, f.name])),
    environments: new Map(lookups.environments.map((e) => [e.id, { name: e.name, slug: e.slug }])),
  };
}

export type ExportOptions = {
  batchSize?: number;
  /** For the benchmark: a scratch database (names through Prisma, rows through `run`). */
  db?: typeof prisma;
  run?: AuditSqlRunner;
  onError?: (error: unknown) => void;
};

/** A byte stream of the filtered audit log in `format`. */
export function auditExportStream(filter: AuditFilter, format: ExportFormat, options: ExportOptions = {}): ReadableStream<Uint8Array> {
  const db = options.db ?? prisma;
  let run = options.run;
  const batchSize = options.batchSize ?? 1000;
  const encoder = new TextEncoder();
  let names: Names | null = null;
  let cursor: AuditCursor | null = null;
  let started = false;
  let finished = false;
  let count = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!names) names = namesFrom(await getAuditLookups(db));
          if (!started) {
            started = true;
            controller.enqueue(encoder.encode(format === "csv" ? `${CSV_COLUMNS.join(",")}\r\n` : "[\n"));
            return;
          }
          if (finished) return;
          run ??= pgRunner(getPgPool());
          const page = await listAuditEvents(filter, { cursor, limit: batchSize, run, parseJson: false });
          let chunk = "";
          for (const row of page.rows) {
            if (format === "csv") chunk += csvLine(row, names);
            else chunk += `${count > 0 ? ",\n" : ""}${jsonRecord(row, names)}`;
            count++;
          }
          cursor = page.nextCursor;
          if (!cursor) {
            finished = true;
            if (format === "json") chunk += "\n]\n";
          }
          if (chunk) controller.enqueue(encoder.encode(chunk));
          if (finished) controller.close();
        } catch (error) {
          options.onError?.(error);
          controller.error(error);
        }
      },
    },
    // One batch ahead at most: the consumer's pace drives the queries.
    { highWaterMark: 1 },
  );
}

export function exportFileName(format: ExportFormat, now = new Date()): string {
  return `modelpin-audit-${now.toISOString().replace(/[:.]/g, "-")}.${format}`;
}
