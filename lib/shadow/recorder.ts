import "server-only";
import { randomInt } from "node:crypto";
import { prisma, type Tx } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { flushOnSignals } from "@/lib/shutdown";
import type { SideOutcome } from "./answer";
import { latencyBucket } from "./latency";
import { SHADOW_LIMITS } from "./schemas";

/**
 * Recording of shadow evaluation (docs/shadow.md): what the proxy observes is buffered in
 * memory and written in batches — every FLUSH_MS or FLUSH_ROWS rows, and at shutdown — in
 * ONE transaction per batch: the records (createMany), the hourly aggregates, the label
 * matrix and latency histograms (upserts that add), the per-hour counts of requests seen,
 * sampled and dropped, and the reservoir of disagreeing inputs. So the aggregates always
 * equal the recorded rows. A failed batch (database down) is merged back and retried, up
 * to MAX_BUFFERED rows; beyond that the oldest are dropped (logged).
 */

const FLUSH_MS = 1_000;
const FLUSH_ROWS = 200;
const MAX_BUFFERED = 20_000;
/** Kept inputs waiting for a flush, in bytes at most (beyond: the record is kept, its input is not). */
const MAX_BUFFERED_INPUT_BYTES = 32 * 1024 * 1024;

export type DropReason = "budget" | "too_large" | "cap";

export type ShadowObservation = {
  shadowId: string;
  at: number;
  servedModelId: string;
  served: SideOutcome & { latencyMs: number };
  candidate: SideOutcome & { latencyMs: number | null };
  inputSha256: string;
  /** Only when the shadow keeps inputs and the two sides disagree. */
  input?: { contentType: string; body: Uint8Array; query: string };
};

type Counts = { seen: number; sampled: number; budget: number; too_large: number; cap: number };
const emptyCounts = (): Counts => ({ seen: 0, sampled: 0, budget: 0, too_large: 0, cap: 0 });

const hourOf = (ms: number) => Math.floor(ms / 3_600_000) * 3_600_000;

/** Both sides answered with a label. */
export const answered = (o: Pick<ShadowObservation, "served" | "candidate">) => o.served.label !== null && o.candidate.label !== null;
export const disagrees = (o: Pick<ShadowObservation, "served" | "candidate">) => answered(o) && o.served.label !== o.candidate.label;

export class ShadowRecorder {
  #rows: ShadowObservation[] = [];
  #counts = new Map<string, Counts>();
  #inputBytes = 0;
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  #bump(shadowId: string, at: number, field: keyof Counts): void {
    const k = `${shadowId}|${hourOf(at)}`;
    let c = this.#counts.get(k);
    if (!c) this.#counts.set(k, (c = emptyCounts()));
    c[field]++;
    this.#arm();
  }

  /** A proxied request while the shadow was active; `sampled`: chosen by the share. */
  countSeen(shadowId: string, sampled: boolean, at = Date.now()): void {
    this.#bump(shadowId, at, "seen");
    if (sampled) this.#bump(shadowId, at, "sampled");
  }

  countDrop(shadowId: string, reason: DropReason, at = Date.now()): void {
    this.#bump(shadowId, at, reason);
  }

  record(observation: ShadowObservation): void {
    let o = observation;
    if (o.input) {
      if (this.#inputBytes + o.input.body.byteLength > MAX_BUFFERED_INPUT_BYTES) o = { ...o, input: undefined };
      else this.#inputBytes += o.input.body.byteLength;
    }
    this.#rows.push(o);
    if (this.#rows.length > MAX_BUFFERED) {
      const dropped = this.#rows.splice(0, this.#rows.length - MAX_BUFFERED);
      logger.warn({ dropped: dropped.length }, "shadow recorder: buffer full, oldest records dropped");
    }
    if (this.#rows.length >= FLUSH_ROWS) void this.flush();
    else this.#arm();
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, FLUSH_MS);
    this.#timer.unref();
  }

  /** Writes everything buffered (waits for a flush under way, then flushes the rest). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#rows.length === 0 && this.#counts.size === 0) return;
    const rows = this.#rows;
    const counts = this.#counts;
    this.#rows = [];
    this.#counts = new Map();
    this.#inputBytes = 0;
    this.#flushing = prisma
      .$transaction((tx) => writeBatch(tx, rows, counts), { timeout: 15_000 })
      .catch((error: unknown) => {
        logger.warn({ err: error instanceof Error ? error.message : error, rows: rows.length }, "shadow recorder: flush failed; retrying with the next batch");
        this.#rows = [...rows.map((r) => ({ ...r, input: undefined })), ...this.#rows].slice(-MAX_BUFFERED);
        for (const [k, c] of counts) {
          const mine = this.#counts.get(k) ?? emptyCounts();
          for (const f of Object.keys(c) as Array<keyof Counts>) mine[f] += c[f];
          this.#counts.set(k, mine);
        }
        this.#arm();
      })
      .finally(() => {
        this.#flushing = null;
      });
    await this.#flushing;
  }
}

type HourAgg = Counts & { mirrored: number; answered: number; agree: number; servedErrors: number; candidateErrors: number; deltaSum: number; deltaN: number };

async function writeBatch(tx: Tx, rows: ShadowObservation[], counts: Map<string, Counts>): Promise<void> {
  if (rows.length > 0) {
    await tx.shadowRecord.createMany({
      data: rows.map((r) => ({
        shadowId: r.shadowId,
        at: new Date(r.at),
        servedModelId: r.servedModelId,
        servedLabel: r.served.label,
        servedConfidence: r.served.confidence,
        servedLatencyMs: r.served.latencyMs,
        candidateLabel: r.candidate.label,
        candidateConfidence: r.candidate.confidence,
        candidateLatencyMs: r.candidate.latencyMs,
        error: r.candidate.error ? `candidate: ${r.candidate.error}` : r.served.error ? `served: ${r.served.error}` : null,
        inputSha256: r.inputSha256,
      })),
    });
  }
  const hours = new Map<string, HourAgg>();
  const pairs = new Map<string, number>();
  const latencies = new Map<string, number>();
  const agg = (k: string) => {
    let h = hours.get(k);
    if (!h) hours.set(k, (h = { ...emptyCounts(), mirrored: 0, answered: 0, agree: 0, servedErrors: 0, candidateErrors: 0, deltaSum: 0, deltaN: 0 }));
    return h;
  };
  for (const [k, c] of counts) Object.assign(agg(k), c);
  for (const r of rows) {
    const k = `${r.shadowId}|${hourOf(r.at)}`;
    const h = agg(k);
    h.mirrored++;
    if (r.served.label === null) h.servedErrors++;
    if (r.candidate.label === null) h.candidateErrors++;
    if (answered(r)) {
      h.answered++;
      if (r.served.label === r.candidate.label) h.agree++;
      if (r.served.confidence !== null && r.candidate.confidence !== null) {
        h.deltaSum += r.candidate.confidence - r.served.confidence;
        h.deltaN++;
      }
    }
    const pk = `${k}|${r.served.label ?? ""}|${r.candidate.label ?? ""}`;
    pairs.set(pk, (pairs.get(pk) ?? 0) + 1);
    const sk = `${k}|served|${latencyBucket(r.served.latencyMs)}`;
    latencies.set(sk, (latencies.get(sk) ?? 0) + 1);
    if (r.candidate.latencyMs !== null) {
      const ck = `${k}|candidate|${latencyBucket(r.candidate.latencyMs)}`;
      latencies.set(ck, (latencies.get(ck) ?? 0) + 1);
    }
  }
  await upsertHours(tx, hours);
  await upsertCounts(tx, "pairs", pairs);
  await upsertCounts(tx, "latencies", latencies);
  await fillReservoir(tx, rows.filter((r) => r.input && disagrees(r)));
}

const iso = (hourMs: string) => new Date(Number(hourMs)).toISOString();

async function upsertHours(tx: Tx, hours: Map<string, HourAgg>): Promise<void> {
  if (hours.size === 0) return;
  const keys = [...hours.keys()].map((k) => k.split("|") as [string, string]);
  const v = [...hours.values()];
  const col = <K extends keyof HourAgg>(f: K) => v.map((h) => h[f]);
  await tx.$executeRaw`
    INSERT INTO shadow_hours AS h (shadow_id, hour, seen, sampled, dropped_budget, dropped_too_large, dropped_cap, mirrored, answered, agree,
                                   served_errors, candidate_errors, confidence_delta_sum, confidence_delta_n)
    SELECT * FROM unnest(${keys.map((k) => k[0])}::uuid[], ${keys.map((k) => iso(k[1]))}::timestamptz[], ${col("seen")}::int[], ${col("sampled")}::int[],
                         ${col("budget")}::int[], ${col("too_large")}::int[], ${col("cap")}::int[], ${col("mirrored")}::int[], ${col("answered")}::int[],
                         ${col("agree")}::int[], ${col("servedErrors")}::int[], ${col("candidateErrors")}::int[], ${col("deltaSum")}::float8[], ${col("deltaN")}::int[])
    ON CONFLICT (shadow_id, hour) DO UPDATE SET
      seen = h.seen + EXCLUDED.seen, sampled = h.sampled + EXCLUDED.sampled, dropped_budget = h.dropped_budget + EXCLUDED.dropped_budget,
      dropped_too_large = h.dropped_too_large + EXCLUDED.dropped_too_large, dropped_cap = h.dropped_cap + EXCLUDED.dropped_cap,
      mirrored = h.mirrored + EXCLUDED.mirrored, answered = h.answered + EXCLUDED.answered, agree = h.agree + EXCLUDED.agree,
      served_errors = h.served_errors + EXCLUDED.served_errors, candidate_errors = h.candidate_errors + EXCLUDED.candidate_errors,
      confidence_delta_sum = h.confidence_delta_sum + EXCLUDED.confidence_delta_sum, confidence_delta_n = h.confidence_delta_n + EXCLUDED.confidence_delta_n`;
}

async function upsertCounts(tx: Tx, table: "pairs" | "latencies", counts: Map<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const parts = [...counts.keys()].map((k) => k.split("|"));
  const shadowIds = parts.map((p) => p[0]!);
  const hours = parts.map((p) => iso(p[1]!));
  const a = parts.map((p) => p[2]!);
  const b = parts.map((p) => p[3]!);
  const n = [...counts.values()];
  if (table === "pairs") {
    await tx.$executeRaw`
      INSERT INTO shadow_hour_pairs AS p (shadow_id, hour, served_label, candidate_label, count)
      SELECT * FROM unnest(${shadowIds}::uuid[], ${hours}::timestamptz[], ${a}::text[], ${b}::text[], ${n}::int[])
      ON CONFLICT (shadow_id, hour, served_label, candidate_label) DO UPDATE SET count = p.count + EXCLUDED.count`;
  } else {
    await tx.$executeRaw`
      INSERT INTO shadow_latencies AS l (shadow_id, hour, side, bucket, count)
      SELECT * FROM unnest(${shadowIds}::uuid[], ${hours}::timestamptz[], ${a}::text[], ${b.map(Number)}::int[], ${n}::int[])
      ON CONFLICT (shadow_id, hour, side, bucket) DO UPDATE SET count = l.count + EXCLUDED.count`;
  }
}

/**
 * Reservoir sampling (Algorithm R) across processes: the shadow row's counter, moved under
 * its row lock, numbers every disagreement with a kept input; the g-th takes slot g − 1
 * while g ≤ the reservoir size, else a random slot j < g replaces slot j when j < size.
 * Skipped when the shadow no longer keeps inputs (turning it off deleted them).
 */
async function fillReservoir(tx: Tx, rows: ShadowObservation[]): Promise<void> {
  const byShadow = new Map<string, ShadowObservation[]>();
  for (const r of rows) byShadow.set(r.shadowId, [...(byShadow.get(r.shadowId) ?? []), r]);
  const size = SHADOW_LIMITS.reservoirSize;
  for (const [shadowId, list] of byShadow) {
    const [moved] = await tx.$queryRaw<{ seen: number }[]>`
      UPDATE shadows SET disagreements_seen = disagreements_seen + ${list.length}::int WHERE id = ${shadowId}::uuid AND keep_inputs
      RETURNING disagreements_seen AS seen`;
    if (!moved) continue;
    let g = moved.seen - list.length;
    for (const r of list) {
      g++;
      const slot = g <= size ? g - 1 : randomInt(g);
      if (slot >= size) continue;
      const data = {
        at: new Date(r.at),
        inputSha256: r.inputSha256,
        contentType: r.input!.contentType,
        body: r.input!.body as Uint8Array<ArrayBuffer>,
        query: r.input!.query,
        servedLabel: r.served.label,
        candidateLabel: r.candidate.label,
      };
      await tx.shadowReservoirInput.upsert({ where: { shadowId_slot: { shadowId, slot } }, create: { shadowId, slot, ...data }, update: data });
    }
  }
}

const KEY = Symbol.for("modelpin.shadow.recorder");
const holder = globalThis as unknown as { [KEY]?: ShadowRecorder };

/** The process's recorder (flushed at SIGTERM/SIGINT). */
export function getShadowRecorder(): ShadowRecorder {
  if (!holder[KEY]) {
    holder[KEY] = new ShadowRecorder();
    flushOnSignals(() => flushShadowRecorder());
  }
  return holder[KEY];
}

export async function flushShadowRecorder(): Promise<void> {
  await holder[KEY]?.flush();
}
