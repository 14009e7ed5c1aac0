/**
 * The budget's lease traffic: ONE statement per renewal and process (upsert the
 * own row, delete expired rows, move the shared back-off factor, read every live
 * row). Plain `pg` on a tiny pool of its own with short timeouts, so a slow or
 * absent database never holds a proxied request (which never waits for this).
 */
import os from "node:os";
import pg from "pg";
import { z } from "zod";
import { BUDGET_CLASSES, type BudgetClass, type BudgetLeaseInfo } from "./stats";
import { idleDemand, type ClassDemand, type LeaseDemand } from "./allocate";

export interface LeaseIdentity {
  processId: string;
  role: string;
  serves: boolean;
  host?: string;
  pid?: number;
}

export interface RenewInput {
  demand: Record<BudgetClass, ClassDemand>;
  grantedRate: number;
  grantedConcurrency: number;
  classes: Record<BudgetClass, { rate: number; inFlight: number }>;
  leaseMs: number;
  /** A Nyckel 429 was seen since the last renewal: halve the shared factor (at most once a second). */
  backOff: boolean;
  /** Floor of the factor, and its additive recovery per second. */
  minFactor: number;
  recoveryPerSecond: number;
}

export interface RenewResult {
  leases: Array<LeaseDemand & BudgetLeaseInfo & { startedAt: Date }>;
  factor: number;
  /** This renewal halved the factor. */
  decreased: boolean;
}

const demandSchema = z.object({ rate: z.number(), inFlight: z.number(), waiting: z.number(), peak: z.number().optional() });
const classSchema = z.object({ rate: z.number(), inFlight: z.number() });

function parseDemand(raw: unknown): Record<BudgetClass, ClassDemand> {
  const out = idleDemand();
  if (raw && typeof raw === "object") {
    for (const cls of BUDGET_CLASSES) {
      const one = demandSchema.safeParse((raw as Record<string, unknown>)[cls]);
      if (one.success) out[cls] = one.data;
    }
  }
  return out;
}

function parseClasses(raw: unknown): Record<BudgetClass, { rate: number; inFlight: number }> {
  const out = { serving: { rate: 0, inFlight: 0 }, interactive: { rate: 0, inFlight: 0 }, batch: { rate: 0, inFlight: 0 }, shadow: { rate: 0, inFlight: 0 } };
  if (raw && typeof raw === "object") {
    for (const cls of BUDGET_CLASSES) {
      const one = classSchema.safeParse((raw as Record<string, unknown>)[cls]);
      if (one.success) out[cls] = one.data;
    }
  }
  return out;
}

const LEASE_COLUMNS = "process_id, role, host, pid, serves, demand, granted_rate, granted_concurrency, classes, renewed_at, expires_at";
const READ_COLUMNS = `${LEASE_COLUMNS}, started_at`;

const RENEW_SQL = `
WITH own AS (
  INSERT INTO nyckel_budget_leases (${LEASE_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::jsonb, now(), now() + make_interval(secs => $10::double precision / 1000))
  ON CONFLICT (process_id) DO UPDATE SET
    demand = EXCLUDED.demand, granted_rate = EXCLUDED.granted_rate, granted_concurrency = EXCLUDED.granted_concurrency,
    classes = EXCLUDED.classes, renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at
  RETURNING ${READ_COLUMNS}
), gone AS (
  DELETE FROM nyckel_budget_leases WHERE expires_at < now() AND process_id <> $1 RETURNING process_id
), st AS (
  UPDATE nyckel_budget_state SET
    factor = CASE
      WHEN $11::boolean AND (decreased_at IS NULL OR decreased_at < now() - interval '1 second')
        THEN greatest($12::double precision, least(1, factor + $13::double precision * extract(epoch FROM now() - updated_at)) * 0.5)
      ELSE least(1, factor + $13::double precision * extract(epoch FROM now() - updated_at)) END,
    decreased_at = CASE
      WHEN $11::boolean AND (decreased_at IS NULL OR decreased_at < now() - interval '1 second') THEN now()
      ELSE decreased_at END,
    updated_at = now()
  WHERE id = 1 AND (factor < 1 OR $11::boolean)
  RETURNING factor, decreased_at = now() AS decreased
), live AS (
  SELECT ${READ_COLUMNS} FROM own
  UNION ALL
  SELECT ${READ_COLUMNS} FROM nyckel_budget_leases WHERE expires_at >= now() AND process_id <> $1
)
SELECT live.*,
  coalesce((SELECT factor FROM st), (SELECT factor FROM nyckel_budget_state WHERE id = 1), 1) AS factor,
  coalesce((SELECT decreased FROM st), false) AS decreased,
  (SELECT count(*) FROM gone)::int AS gone
FROM live`;

/** Advisory lock key of a process joining the budget ("nyckel budget join"). */
const JOIN_LOCK = 0x6e796b62;

type LeaseRow = {
  process_id: string;
  role: string;
  host: string;
  pid: number;
  serves: boolean;
  demand: unknown;
  granted_rate: number;
  granted_concurrency: number;
  classes: unknown;
  renewed_at: Date;
  expires_at: Date;
  started_at: Date;
};

function toLease(row: LeaseRow): LeaseDemand & BudgetLeaseInfo & { startedAt: Date } {
  return {
    processId: row.process_id,
    role: row.role,
    host: row.host,
    pid: row.pid,
    serves: row.serves,
    demand: parseDemand(row.demand),
    grantedRate: row.granted_rate,
    grantedConcurrency: row.granted_concurrency,
    classes: parseClasses(row.classes),
    renewedAt: row.renewed_at,
    expiresAt: row.expires_at,
    startedAt: row.started_at,
  };
}

export class LeaseStore {
  readonly #pool: pg.Pool;
  readonly #identity: Required<LeaseIdentity>;

  constructor(connectionString: string, identity: LeaseIdentity, options: { timeoutMs?: number } = {}) {
    const timeout = options.timeoutMs ?? 1_000;
    this.#pool = new pg.Pool({
      connectionString,
      max: 1,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: timeout,
      statement_timeout: timeout,
      query_timeout: timeout + 250,
      application_name: "modelpin-budget",
    });
    this.#pool.on("error", () => undefined); // an idle client's error must not crash the process
    this.#identity = { host: os.hostname(), pid: process.pid, ...identity };
  }

  get identity(): Required<LeaseIdentity> {
    return this.#identity;
  }

  /**
   * One renewal. The first one (`join`) runs under an advisory lock, so that two processes
   * joining at the same moment cannot both read the table before the other's row exists
   * (each would think it is alone and take everything).
   */
  async renew(input: RenewInput, options: { join?: boolean } = {}): Promise<RenewResult> {
    if (!options.join) return this.#renew(this.#pool, input);
    const client = await this.#pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [JOIN_LOCK]);
      try {
        return await this.#renew(client, input);
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [JOIN_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async #renew(db: Pick<pg.Pool, "query">, input: RenewInput): Promise<RenewResult> {
    const id = this.#identity;
    const { rows } = await db.query<LeaseRow & { factor: number; decreased: boolean; gone: number }>(RENEW_SQL, [
      id.processId,
      id.role,
      id.host.slice(0, 200),
      id.pid,
      id.serves,
      JSON.stringify(input.demand),
      input.grantedRate,
      input.grantedConcurrency,
      JSON.stringify(input.classes),
      input.leaseMs,
      input.backOff,
      input.minFactor,
      input.recoveryPerSecond,
    ]);
    const first = rows[0];
    return { leases: rows.map(toLease), factor: first ? Number(first.factor) : 1, decreased: first?.decreased ?? false };
  }

  /** Every live lease (Settings → Nyckel). */
  async list(): Promise<BudgetLeaseInfo[]> {
    const { rows } = await this.#pool.query<LeaseRow>(
      `SELECT ${READ_COLUMNS} FROM nyckel_budget_leases WHERE expires_at >= now() ORDER BY role, host, pid`,
    );
    return rows.map((row) => {
      const lease = toLease(row);
      return {
        processId: lease.processId,
        role: lease.role,
        host: lease.host,
        pid: lease.pid,
        grantedRate: lease.grantedRate,
        grantedConcurrency: lease.grantedConcurrency,
        classes: lease.classes,
        renewedAt: lease.renewedAt,
        expiresAt: lease.expiresAt,
      };
    });
  }

  /**
   * Gives the lease back (clean stop). With no starts left in Nyckel's window the row is
   * deleted and the others take its share at their next renewal; otherwise the row stays,
   * with no demand and those starts (and requests still in flight) as its use, until they have left the window
   * (`windowMs`), so a process that joins meanwhile does not overrun them.
   */
  async release(inUse: { windowStarts: number; inFlight: number; windowMs: number } = { windowStarts: 0, inFlight: 0, windowMs: 0 }): Promise<void> {
    if (inUse.windowStarts <= 0 && inUse.inFlight <= 0) {
      await this.#pool.query("DELETE FROM nyckel_budget_leases WHERE process_id = $1", [this.#identity.processId]);
      return;
    }
    await this.#pool.query(
      `UPDATE nyckel_budget_leases SET demand = '{}'::jsonb, granted_rate = $2, granted_concurrency = $4, classes = '{}'::jsonb,
         renewed_at = now(), expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE process_id = $1`,
      [this.#identity.processId, inUse.windowStarts, inUse.windowMs, inUse.inFlight],
    );
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }
}
