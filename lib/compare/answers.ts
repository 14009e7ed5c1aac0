import "server-only";
import { prisma } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";

/**
 * The answer cache (issue 16, model_answers): a Nyckel model id always gives the
 * same answer for the same input, so an explicit model id's answer on a sample
 * is stored once and every later comparison run reuses it instead of invoking
 * Nyckel again. The key is (function, model id, the sample's contentHash,
 * options key):
 *
 * - contentHash is the sample row's own (SHA-256 of its kind and canonical
 *   content, lib/samples/parse.ts), so the same text, tabular row or image file
 *   in any sample set of the function hits the same answers.
 * - The options key holds the invoke options that change the answer. Of what
 *   the runner sends, only `labelCount` does (how many label confidences come
 *   back); `capture=false` and the budget class do not. modelId is in the key.
 *
 * Never cached:
 * - `latest` (no model id): it is whatever Nyckel serves at the time.
 * - Failures: a 429 or a timeout says nothing about the model.
 * - Image URLs: Nyckel fetches the URL, and what it serves can change while the
 *   URL (all the hash covers) stays the same.
 *
 * A reused result is recorded with `reused = true`, `attempts = 0` (no request
 * in this run) and the latency of the call that produced the answer.
 */

/** Sample kinds whose contentHash covers everything the model sees. */
const CACHEABLE_KINDS: readonly string[] = ["text", "tabular", "image"];

/** The invoke options that change an answer, in canonical form (e.g. "labelCount=5"). */
export function answerOptionsKey(options: { labelCount: number }): string {
  return `labelCount=${options.labelCount}`;
}

/** Whether an answer of this model on a sample of this kind may be stored and reused. */
export function isCacheable(modelId: string | null, kind: string): modelId is string {
  return modelId !== null && modelId !== "" && CACHEABLE_KINDS.includes(kind);
}

/** What a fresh answer stores, beside its result row. */
export type AnswerToStore = {
  modelId: string;
  contentHash: string;
  labelName: string | null;
  labelId: string | null;
  confidence: number | null;
  labelConfidences: unknown;
  latencyMs: number | null;
};

/**
 * A WITH clause that stores answers (first one wins: ON CONFLICT DO NOTHING), to
 * put before the INSERT of their results so both are written by one statement:
 * an answer is never stored without its result or the other way round.
 * PostgreSQL runs a data-modifying WITH whether or not the main statement reads it.
 */
export function storeAnswersClause(functionId: string, optionsKey: string, answers: readonly AnswerToStore[]): Prisma.Sql {
  if (answers.length === 0) return Prisma.empty;
  const values = answers.map(
    (a) => Prisma.sql`(${functionId}::text, ${a.modelId}::text, ${a.contentHash}::text, ${optionsKey}::text, ${a.labelName}::text, ${a.labelId}::text,
      ${a.confidence}::double precision, ${a.labelConfidences === undefined ? null : JSON.stringify(a.labelConfidences)}::jsonb, ${a.latencyMs}::integer)`,
  );
  return Prisma.sql`WITH stored_answers AS (
    INSERT INTO model_answers (function_id, model_id, content_hash, options_key, label_name, label_id, confidence, label_confidences, latency_ms)
    VALUES ${Prisma.join(values)}
    ON CONFLICT DO NOTHING
  ) `;
}

/**
 * Records, for the given unrecorded (sample, side) pairs of a run, the stored
 * answers of that side's model: one INSERT … SELECT from model_answers. Returns
 * the pairs it recorded ("<sampleId>:<side>"); the others still need Nyckel.
 * Sides whose model is `latest` and image URL samples are never looked up.
 */
export async function recordStoredAnswers(
  run: { id: string; functionId: string; modelA: string | null; modelB: string | null },
  optionsKey: string,
  missing: { a: readonly string[]; b: readonly string[] },
): Promise<Set<string>> {
  const a = run.modelA ? missing.a : [];
  const b = run.modelB ? missing.b : [];
  if (a.length === 0 && b.length === 0) return new Set();
  const rows = await prisma.$queryRaw<Array<{ sampleId: string; side: "a" | "b" }>>`
    INSERT INTO comparison_results (run_id, sample_id, side, ok, label_name, label_id, confidence, label_confidences, latency_ms, attempts, reused)
    SELECT ${run.id}::uuid, s.id, side.side, true, m.label_name, m.label_id, m.confidence, m.label_confidences, m.latency_ms, 0, true
    FROM (VALUES ('a', ${run.modelA}::text, ${a as string[]}::uuid[]), ('b', ${run.modelB}::text, ${b as string[]}::uuid[])) AS side(side, model_id, sample_ids)
    JOIN samples s ON s.id = ANY(side.sample_ids) AND s.kind = ANY(${CACHEABLE_KINDS as string[]}::text[])
    JOIN model_answers m ON m.function_id = ${run.functionId} AND m.model_id = side.model_id AND m.content_hash = s.content_hash AND m.options_key = ${optionsKey}
    WHERE side.model_id IS NOT NULL AND side.model_id <> ''
    ON CONFLICT (run_id, sample_id, side) DO NOTHING
    RETURNING sample_id::text AS "sampleId", side`;
  return new Set(rows.map((r) => `${r.sampleId}:${r.side}`));
}

/** How many of a run's results on each side were taken from the answer cache. */
export async function countReusedAnswers(runId: string): Promise<{ a: number; b: number }> {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) return { a: 0, b: 0 };
  const rows = await prisma.$queryRaw<Array<{ side: string; n: number }>>`
    SELECT side, count(*)::int AS n FROM comparison_results WHERE run_id = ${runId}::uuid AND reused GROUP BY side`;
  return { a: rows.find((r) => r.side === "a")?.n ?? 0, b: rows.find((r) => r.side === "b")?.n ?? 0 };
}
