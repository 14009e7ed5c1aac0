import "server-only";
import type pg from "pg";
import { TOKEN_ACTOR_PREFIX } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { parsePointInTime } from "@/lib/time";
import type { HashedFields } from "./hash";

/**
 * Reads of the audit log: one query for the audit page, the CSV/JSON export
 * and the benchmark. Newest first, keyset-paginated on (created_at, id) — the
 * order of the audit_events indexes, with or without a filter — never OFFSET.
 */

export const AUDIT_PAGE_SIZE = 50;

export type AuditFilter = {
  functionId?: string;
  environmentId?: string;
  /** A member id, "system" (events without a member: sync at start-up, seed, jobs) or "tokens" (the automation API's `token: <name>`). */
  actor?: string;
  action?: string;
  from?: Date;
  to?: Date;
};

export type AuditCursor = { createdAt: Date; id: bigint };

/** An audit event as the page and the export read it: the hashed fields plus the stored JSON text. */
export type AuditRow = Omit<HashedFields, "id"> & {
  id: string;
  /** The same as PostgreSQL's JSON text, for the export (no parse and re-serialize). */
  beforeJson: string | null;
  afterJson: string | null;
  hash: string;
};

type SearchParams = Record<string, string | string[] | undefined>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function one(params: SearchParams, key: string): string {
  const v = params[key];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? "";
}

export function encodeCursor(c: AuditCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString("base64url");
}

export function decodeCursor(raw: string): AuditCursor | null {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(raw)) return null;
  const [time, id] = Buffer.from(raw, "base64url").toString("utf8").split("|");
  const createdAt = time ? new Date(time) : null;
  if (!createdAt || Number.isNaN(createdAt.getTime()) || !id || !/^\d{1,19}$/.test(id)) return null;
  return { createdAt, id: BigInt(id) };
}

/**
 * The audit filter from URL search parameters (`function`, `environment`,
 * `actor`, `action`, `from`, `to`, `cursor`). Bad values are reported, never
 * guessed at: the caller shows the messages and runs no query.
 */
export function parseAuditQuery(params: SearchParams): { filter: AuditFilter; cursor: AuditCursor | null; errors: string[]; raw: Record<string, string> } {
  const raw = Object.fromEntries(["function", "environment", "actor", "action", "from", "to"].map((k) => [k, one(params, k)]));
  const filter: AuditFilter = {};
  const errors: string[] = [];
  if (raw.function) {
    if (raw.function.length > 200) errors.push("Unknown function.");
    else filter.functionId = raw.function;
  }
  if (raw.environment) {
    if (!UUID.test(raw.environment)) errors.push("Unknown environment.");
    else filter.environmentId = raw.environment.toLowerCase();
  }
  if (raw.actor) {
    if (raw.actor !== "system" && raw.actor !== "tokens" && !UUID.test(raw.actor)) errors.push("Unknown actor.");
    else filter.actor = raw.actor.toLowerCase();
  }
  if (raw.action) {
    if (!/^[a-z0-9_.-]{1,80}$/.test(raw.action)) errors.push("Unknown action.");
    else filter.action = raw.action;
  }
  for (const key of ["from", "to"] as const) {
    if (!raw[key]) continue;
    const at = parsePointInTime(raw[key]!);
    if (!at) errors.push(`“${raw[key]}” is not a time. Use a form like 2026-03-01T14:30 (UTC) or an ISO time with a zone.`);
    else filter[key] = at;
  }
  if (filter.from && filter.to && filter.from > filter.to) errors.push("The time range ends before it starts.");
  const rawCursor = one(params, "cursor");
  const cursor = rawCursor ? decodeCursor(rawCursor) : null;
  if (rawCursor && !cursor) errors.push("That page link is not valid any more. Start from the newest events.");
  return { filter, cursor, errors, raw: raw as Record<string, string> };
}

/** The URL query of a filter (without cursor), for links and the export. */
export function auditQueryString(raw: Record<string, string>, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...raw, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

function whereClause(filter: AuditFilter, cursor: AuditCursor | null): Prisma.Sql {
  const conds: Prisma.Sql[] = [];
  if (filter.functionId) conds.push(Prisma.sql`function_id = ${filter.functionId}`);
  if (filter.environmentId) conds.push(Prisma.sql`environment_id = ${filter.environmentId}::uuid`);
  const tokenLabel = `${TOKEN_ACTOR_PREFIX}%`;
  if (filter.actor === "system") conds.push(Prisma.sql`actor_id IS NULL AND actor_label NOT LIKE ${tokenLabel}`);
  else if (filter.actor === "tokens") conds.push(Prisma.sql`actor_id IS NULL AND actor_label LIKE ${tokenLabel}`);
  else if (filter.actor) conds.push(Prisma.sql`actor_id = ${filter.actor}::uuid`);
  if (filter.action) conds.push(Prisma.sql`action = ${filter.action}`);
  if (filter.from) conds.push(Prisma.sql`created_at >= ${filter.from}`);
  if (filter.to) conds.push(Prisma.sql`created_at <= ${filter.to}`);
  // Row comparison: PostgreSQL walks the (…, created_at DESC, id DESC) index from the cursor on.
  if (cursor) conds.push(Prisma.sql`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
  return conds.length ? Prisma.sql`WHERE ${Prisma.join(conds, " AND ")}` : Prisma.empty;
}

type DbRow = {
  /** bigint through Prisma, string through pg. */
  id: bigint | string;
  created_at: Date;
  actor_id: string | null;
  actor_label: string;
  action: string;
  function_id: string | null;
  environment_id: string | null;
  target_type: string | null;
  target_id: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
};

/** Runs the audit SQL: through Prisma (pages) or a plain pg pool (the streaming export). */
export type AuditSqlRunner = (sql: Prisma.Sql) => Promise<DbRow[]>;

export function prismaRunner(db: Pick<typeof prisma, "$queryRaw"> = prisma): AuditSqlRunner {
  return (sql) => db.$queryRaw<DbRow[]>(sql);
}

export function pgRunner(pool: Pick<pg.Pool, "query">): AuditSqlRunner {
  return async (sql) => (await pool.query<DbRow>(sql.text, sql.values as unknown[])).rows;
}

/** The one audit query: newest first, after `cursor`, `limit + 1` rows (the extra one tells whether older events exist). */
export function auditEventsSql(filter: AuditFilter, cursor: AuditCursor | null, limit: number): Prisma.Sql {
  return Prisma.sql`
    SELECT id, created_at, actor_id, actor_label, action, function_id, environment_id, target_type, target_id,
           before::text AS before, after::text AS after, reason, request_id, prev_hash, hash
    FROM audit_events
    ${whereClause(filter, cursor)}
    ORDER BY created_at DESC, id DESC
    LIMIT ${limit + 1}`;
}

/**
 * One page of the audit log, newest first, after `cursor`. `nextCursor` is
 * set when older events exist. Used by the page, the export and the benchmark.
 */
export async function listAuditEvents(
  filter: AuditFilter,
  options: { cursor?: AuditCursor | null; limit?: number; run?: AuditSqlRunner; parseJson?: boolean } = {},
): Promise<{ rows: AuditRow[]; nextCursor: AuditCursor | null }> {
  const limit = Math.max(1, Math.min(options.limit ?? AUDIT_PAGE_SIZE, 5000));
  const run = options.run ?? prismaRunner();
  const found = await run(auditEventsSql(filter, options.cursor ?? null, limit));
  const more = found.length > limit;
  const parse = options.parseJson ?? true;
  const rows = (more ? found.slice(0, limit) : found).map(
    (r): AuditRow => ({
      id: String(r.id),
      createdAt: r.created_at,
      actorId: r.actor_id,
      actorLabel: r.actor_label,
      action: r.action,
      functionId: r.function_id,
      environmentId: r.environment_id,
      targetType: r.target_type,
      targetId: r.target_id,
      before: parse && r.before !== null ? JSON.parse(r.before) : parse ? null : undefined,
      after: parse && r.after !== null ? JSON.parse(r.after) : parse ? null : undefined,
      beforeJson: r.before,
      afterJson: r.after,
      reason: r.reason,
      requestId: r.request_id,
      prevHash: r.prev_hash,
      hash: r.hash,
    }),
  );
  const last = rows.at(-1);
  return { rows, nextCursor: more && last ? { createdAt: last.createdAt, id: BigInt(last.id) } : null };
}

/** Names for the ids an audit row carries (functions, environments, members), for display and export. */
export async function getAuditLookups(db: Pick<typeof prisma, "nyckelFunction" | "environment" | "user"> = prisma) {
  const [functions, environments, members] = await Promise.all([
    db.nyckelFunction.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } }),
    db.environment.findMany({ select: { id: true, slug: true, name: true }, orderBy: [{ sortOrder: "asc" }, { name: "asc" }] }),
    db.user.findMany({ select: { id: true, name: true, email: true }, orderBy: { name: "asc" } }),
  ]);
  return { functions, environments, members };
}

export type AuditLookups = Awaited<ReturnType<typeof getAuditLookups>>;
