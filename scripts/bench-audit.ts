/**
 * `npm run bench:audit` (tsx --conditions=react-server scripts/bench-audit.ts):
 * the audit log at 1,000 and 1,000,000 events.
 *
 * - Scratch databases on DATABASE_URL's server, or on a throw-away embedded
 *   PostgreSQL when DATABASE_URL is unset; all migrations applied; dropped at the end.
 * - Each is bulk-loaded with COPY (a real hash chain, realistic skew: one busy
 *   function, one busy actor).
 * - Times the first page and a filtered page (function + actor) through
 *   listAuditEvents, the query of the audit page, as the median of many runs.
 * - Streams the whole 1M-event CSV export through auditExportStream (the
 *   export route's function) and measures the process's peak RSS growth.
 *
 * Last line: RESULT first_page_ratio=… filtered_ratio=… export_rss_mb=…
 * (goals ≤ 1.5, ≤ 1.5, < 100). Options: --sizes 1000,1000000 --runs 300
 */
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { GENESIS_HASH, eventHash } from "@/lib/audit/hash";
import { auditExportStream } from "@/lib/audit/export";
import { auditEventsSql, listAuditEvents, pgRunner, prismaRunner, type AuditFilter, type AuditSqlRunner } from "@/lib/audit/queries";
import { repoRoot } from "@/scripts/db/database";
import { deployMigrations } from "@/scripts/db/migrations";
import { redactUrl } from "@/lib/db/pg-client";
import { dropDatabase, ensureDatabase, withDatabaseName } from "@/scripts/db/pg-admin";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { percentile } from "@/lib/compare/stats";
import { mulberry32 } from "@/scripts/testing/random";
import { cliOptions, exitWithMain } from "./cli/args";
import { scratchName, throwAwayPostgres } from "./bench/postgres";

const args = cliOptions({
  sizes: { type: "string", default: "1000,1000000" },
  runs: { type: "string", default: "300" },
  batch: { type: "string", default: "1000" },
  plans: { type: "boolean", default: false },
});
const SIZES = args.sizes.split(",").map(Number);
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const log = (line: string) => console.log(`[bench:audit] ${line}`);

// ---------------------------------------------------------------------------
// Data: deterministic, skewed like a real log.

const FUNCTIONS = Array.from({ length: 40 }, (_, i) => ({ id: `function_bench${String(i).padStart(2, "0")}`, name: `Bench function ${i}` }));
const ENVIRONMENTS = ["development", "staging", "production", "eu-prod"].map((slug, i) => ({
  id: `00000000-0000-4000-8000-00000000000${i + 1}`,
  slug,
  name: slug,
}));
const ACTORS = Array.from({ length: 25 }, (_, i) => ({
  id: `00000000-0000-4000-9000-${String(i + 1).padStart(12, "0")}`,
  email: `member${i}@bench.local`,
}));
/** The filtered page: the busiest function (12% of events) and the busiest actor (half of all). */
const FILTER: AuditFilter = { functionId: FUNCTIONS[0]!.id, actor: ACTORS[0]!.id };
const ACTIONS = [
  ["pin.pinned", 0.35],
  ["model.checked", 0.2],
  ["model.registered", 0.12],
  ["pin.unpinned", 0.08],
  ["pin.rolled_back", 0.05],
  ["model.updated", 0.08],
  ["pin.break_glass", 0.02],
  ["environment.updated", 0.05],
  ["member.role_changed", 0.05],
] as const;

function copyField(v: string | null): string {
  if (v === null) return "\\N";
  return v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** COPY text rows for events 1..n, in chunks, with a valid hash chain. */
async function* auditRows(n: number): AsyncGenerator<string> {
  const rnd = mulberry32(42);
  const start = Date.parse("2024-01-01T00:00:00Z");
  const step = Math.max(1, Math.floor((2 * 365 * 24 * 3600 * 1000) / n)); // two years of history
  let prev = GENESIS_HASH;
  let chunk = "";
  for (let id = 1; id <= n; id++) {
    let r = rnd();
    let action: string = ACTIONS[0][0];
    for (const [a, p] of ACTIONS) {
      if (r < p) {
        action = a;
        break;
      }
      r -= p;
    }
    const systemActor = rnd() < 0.03;
    const actor = systemActor ? null : rnd() < 0.5 ? ACTORS[0]! : ACTORS[1 + Math.floor(rnd() * (ACTORS.length - 1))]!;
    const perFunction = !action.startsWith("environment.") && !action.startsWith("member.");
    const fn = perFunction ? (rnd() < 0.12 ? FUNCTIONS[0]! : FUNCTIONS[1 + Math.floor(rnd() * (FUNCTIONS.length - 1))]!) : null;
    const isPin = action.startsWith("pin.");
    const env = isPin || action === "environment.updated" ? ENVIRONMENTS[Math.floor(rnd() * ENVIRONMENTS.length)]! : null;
    const version = 1 + Math.floor(rnd() * 50);
    const modelId = `model_${Math.floor(rnd() * 1e12).toString(36)}`;
    const before = isPin ? { version: version - 1, modelId: null, modelRefId: null, nickname: null } : action.endsWith("updated") ? { nickname: "old name", notes: "" } : null;
    const after = isPin
      ? { version, modelId, modelRefId: null, nickname: `nick ${version}`, kind: "pin", breakGlass: action === "pin.break_glass" }
      : { modelId, nickname: `nick ${version}`, notes: "" };
    const fields = {
      id,
      createdAt: new Date(start + id * step),
      actorId: actor?.id ?? null,
      actorLabel: actor?.email ?? "system",
      action,
      functionId: fn?.id ?? null,
      environmentId: env?.id ?? null,
      targetType: isPin ? "pin" : perFunction ? "model" : action.startsWith("member.") ? "member" : "environment",
      targetId: `target-${id % 5000}`,
      before,
      after,
      reason: isPin ? `Reason for change ${id}: ${rnd() < 0.5 ? "better agreement on the sample set" : "roll forward after review"}` : null,
      requestId: `req-${id}`,
      prevHash: prev,
    };
    const hash = eventHash(fields);
    prev = hash;
    chunk +=
      [
        String(id),
        fields.createdAt.toISOString(),
        fields.actorId,
        fields.actorLabel,
        action,
        fields.functionId,
        fields.environmentId,
        fields.targetType,
        fields.targetId,
        before ? JSON.stringify(before) : null,
        JSON.stringify(after),
        fields.reason,
        fields.requestId,
        fields.prevHash,
        hash,
      ]
        .map(copyField)
        .join("\t") + "\n";
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

// ---------------------------------------------------------------------------
// COPY … FROM STDIN with plain `pg` (a "submittable" query; no extra package).

type PgConnection = {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
};

class CopyFromStdin {
  callback?: (err: Error | null) => void;
  rowCount = 0;
  private error: Error | null = null;
  constructor(
    private readonly text: string,
    private readonly source: AsyncIterable<string>,
  ) {}
  submit(connection: PgConnection) {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: PgConnection) {
    void (async () => {
      try {
        for await (const chunk of this.source) {
          connection.sendCopyFromChunk(Buffer.from(chunk));
          if (connection.stream.writableNeedDrain) await once(connection.stream, "drain");
        }
        connection.endCopyFrom();
      } catch (e) {
        connection.sendCopyFail(e instanceof Error ? e.message : String(e));
      }
    })();
  }
  handleCommandComplete(msg: { text?: string }) {
    this.rowCount = Number(/COPY (\d+)/.exec(msg.text ?? "")?.[1] ?? 0);
  }
  handleError(err: Error) {
    this.error = err;
  }
  handleReadyForQuery() {
    this.callback?.(this.error);
  }
  handleRowDescription() {}
  handleDataRow() {}
  handleEmptyQuery() {}
  handlePortalSuspended() {}
  handleCopyData() {}
}

async function copyIn(client: pg.Client, text: string, source: AsyncIterable<string>): Promise<number> {
  const copy = new CopyFromStdin(text, source);
  await new Promise<void>((resolve, reject) => {
    client.query(copy as unknown as pg.QueryConfig, ((err: Error | null) => (err ? reject(err) : resolve())) as unknown as unknown[]);
  });
  return copy.rowCount;
}

// ---------------------------------------------------------------------------

async function load(url: string, n: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = new Date().toISOString();
    for (const f of FUNCTIONS) {
      await client.query(`INSERT INTO functions (id, name, input_type, output_type, last_synced_at) VALUES ($1, $2, 'Text', 'Classification', $3)`, [f.id, f.name, now]);
    }
    for (const [i, e] of ENVIRONMENTS.entries()) {
      await client.query(`INSERT INTO environments (id, slug, name, sort_order, updated_at) VALUES ($1, $2, $3, $4, $5)`, [e.id, e.slug, e.name, i * 10, now]);
    }
    for (const a of ACTORS) {
      await client.query(`INSERT INTO users (id, email, name, role, updated_at) VALUES ($1, $2, $2, 'editor', $3)`, [a.id, a.email, now]);
    }
    const t = performance.now();
    const rows = await copyIn(
      client,
      "COPY audit_events (id, created_at, actor_id, actor_label, action, function_id, environment_id, target_type, target_id, before, after, reason, request_id, prev_hash, hash) FROM STDIN",
      auditRows(n),
    );
    if (rows !== n) throw new Error(`COPY loaded ${rows} rows, expected ${n}`);
    await client.query(`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), $1)`, [n]);
    await client.query("ANALYZE");
    log(`  loaded ${n.toLocaleString("en")} events with COPY in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    await client.end();
  }
}

type Timed = { label: string; run: () => Promise<unknown>; times: number[] };

/**
 * Medians of many runs. The queries of all sizes are interleaved (1k, 1M,
 * 1k, 1M, …) so that JIT warm-up and the machine's load drift hit them alike.
 */
async function timeInterleaved(items: Timed[], runs: number): Promise<void> {
  for (let i = 0; i < 50; i++) for (const item of items) await item.run(); // warm-up: JIT, plans, caches, connections
  for (let i = 0; i < runs; i++) {
    for (const item of items) {
      const t = performance.now();
      await item.run();
      item.times.push(performance.now() - t);
    }
  }
}

/** A loaded scratch database: Prisma (as the page uses it) and a pg pool (as the export uses it). */
type Scratch = { n: number; url: string; db: PrismaClient; pool: pg.Pool; page: AuditSqlRunner };

async function createScratch(serverUrl: string, n: number): Promise<Scratch> {
  const url = withDatabaseName(serverUrl, scratchName(`bench_${n}`));
  log(`${n.toLocaleString("en")} events: scratch database ${redactUrl(url)}`);
  await ensureDatabase(url);
  await deployMigrations(url, { log: () => undefined });
  await load(url, n);
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 4 }) });
  return { n, url, db, pool: new pg.Pool({ connectionString: url, max: 2 }), page: prismaRunner(db) };
}

async function benchExport(scratch: Scratch, n: number) {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const t = performance.now();
  let bytes = 0;
  let lines = 0;
  const reader = auditExportStream({}, "csv", { db: scratch.db, run: pgRunner(scratch.pool), batchSize: BATCH }).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  clearInterval(sampler);
  const exportSeconds = (performance.now() - t) / 1000;
  // Header + one line per event (multi-line reasons would add lines; these have none).
  if (lines !== n + 1) throw new Error(`the export has ${lines - 1} rows, expected ${n}`);
  const exportRssMb = (peak - baseline) / 2 ** 20;
  const exportMb = bytes / 2 ** 20;
  log(
    `  CSV export: ${n.toLocaleString("en")} rows, ${exportMb.toFixed(0)} MB in ${exportSeconds.toFixed(1)} s; RSS ${(baseline / 2 ** 20).toFixed(0)} MB → peak ${(peak / 2 ** 20).toFixed(0)} MB (+${exportRssMb.toFixed(1)} MB)`,
  );
  return { exportRssMb, exportSeconds, exportMb };
}


async function main(): Promise<number> {
  const started = performance.now();
  process.chdir(repoRoot());
  let serverUrl = process.env.DATABASE_URL?.trim();
  let stop = async () => undefined as void;
  if (serverUrl) {
    log(`using DATABASE_URL's server (${redactUrl(serverUrl)}): scratch databases are created and dropped there`);
  } else {
    const server = await throwAwayPostgres("bench-postgres", "modelpin_bench", log);
    serverUrl = server.url;
    stop = server.stop;
  }
  const scratches: Scratch[] = [];
  try {
    for (const n of SIZES) scratches.push(await createScratch(serverUrl, n));
    const items = scratches.flatMap((sc) => [
      { label: `first:${sc.n}`, run: () => listAuditEvents({}, { run: sc.page }), times: [] as number[] },
      { label: `filtered:${sc.n}`, run: () => listAuditEvents(FILTER, { run: sc.page }), times: [] as number[] },
    ]);
    for (const sc of scratches) {
      const [first, filtered] = [await listAuditEvents({}, { run: sc.page }), await listAuditEvents(FILTER, { run: sc.page })];
      log(`  ${sc.n.toLocaleString("en")}: the first page has ${first.rows.length} rows, the filtered page (function + actor) ${filtered.rows.length}`);
    }
    const largestScratch = scratches.find((sc) => sc.n === Math.max(...SIZES))!;
    const rare: AuditFilter = { functionId: FUNCTIONS.at(-1)!.id, actor: ACTORS.at(-1)!.id };
    for (const [name, filter] of [["first page", {}], ["filtered page", FILTER], ["page of a quiet function and actor", rare]] as const) {
      const sql = auditEventsSql(filter, null, 50);
      const plan = await largestScratch.pool.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql.text}`, sql.values as unknown[]);
      const indexes = [...new Set(plan.rows.flatMap((r) => /(?:using|on) (audit_events_\w+)/i.exec(r["QUERY PLAN"])?.[1] ?? []))];
      log(`  plan of the ${name} at ${largestScratch.n.toLocaleString("en")}: ${indexes.length ? `index ${indexes.join(", ")}` : "no index (!)"}`);
      if (args.plans) for (const r of plan.rows) log(`    ${r["QUERY PLAN"]}`);
    }
    log(`timing ${RUNS} runs of each query, interleaved across sizes…`);
    await timeInterleaved(items, RUNS);
    const ms = (label: string) => percentile(items.find((i) => i.label === label)!.times, 50);
    for (const sc of scratches) {
      log(`  ${sc.n.toLocaleString("en")} events: first page ${ms(`first:${sc.n}`).toFixed(2)} ms, filtered page ${ms(`filtered:${sc.n}`).toFixed(2)} ms (medians)`);
    }
    const small = Math.min(...SIZES);
    const big = Math.max(...SIZES);
    const bigScratch = scratches.find((sc) => sc.n === big)!;
    const exported = await benchExport(bigScratch, big);
    const firstRatio = ms(`first:${big}`) / ms(`first:${small}`);
    const filteredRatio = ms(`filtered:${big}`) / ms(`filtered:${small}`);
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(`RESULT first_page_ratio=${firstRatio.toFixed(2)} filtered_ratio=${filteredRatio.toFixed(2)} export_rss_mb=${exported.exportRssMb.toFixed(1)}`);
    return 0;
  } finally {
    for (const sc of scratches) {
      await sc.db.$disconnect().catch(() => undefined);
      await sc.pool.end().catch(() => undefined);
      await dropDatabase(sc.url).catch((e: unknown) => console.error(e));
    }
    await stop();
  }
}

exitWithMain(main);
