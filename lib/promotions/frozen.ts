import "server-only";
import { createHash } from "node:crypto";
import { appendAuditEvent, type AuditActor } from "@/lib/audit/service";
import type { Tx } from "@/lib/db/client";

/**
 * The frozen hash of a promotion request (issue 13): SHA-256 over the whole
 * request as submitted — function, environment, target, base pin version,
 * reason, evidence (run, summary, summary hash), frozen policy, requester and
 * times. Computed at submit, stored in request_hash (which the database
 * refuses to change, like every other frozen column), and recomputed from the
 * locked row at every decision: a mismatch means the row was edited with the
 * database's trigger switched off, and the decision is refused.
 *
 * The pre-image is one line per field, each `<UTF-8 byte length>:<text>` or
 * `~` for null; jsonb columns as PostgreSQL prints them (`policy::text`), so
 * key order and number formatting are PostgreSQL's, not JavaScript's; times
 * in epoch milliseconds. The migration 20261207310000_promotion_request_immutable
 * defines the same in SQL (promotion_request_frozen_hash) for existing rows.
 */

export type FrozenFields = {
  id: string;
  number: number;
  functionId: string;
  environmentId: string;
  targetModelRefId: string | null;
  targetModelId: string | null;
  baseVersion: number;
  baseModelId: string | null;
  reason: string;
  evidenceRunId: string | null;
  /** evidence_summary::text */
  evidenceSummaryText: string | null;
  evidenceHash: string | null;
  /** policy::text */
  policyText: string;
  approvalsRequired: number;
  requestedById: string | null;
  requestedByLabel: string;
  createdAt: Date;
  expiresAt: Date | null;
};

const VERSION = "modelpin/promotion-request/v1";

const field = (v: string | null) => (v === null ? "~" : `${Buffer.byteLength(v, "utf8")}:${v}`);

export function frozenHash(f: FrozenFields): string {
  const values: Array<string | null> = [
    f.id,
    String(f.number),
    f.functionId,
    f.environmentId,
    f.targetModelRefId,
    f.targetModelId,
    String(f.baseVersion),
    f.baseModelId,
    f.reason,
    f.evidenceRunId,
    f.evidenceSummaryText,
    f.evidenceHash,
    f.policyText,
    String(f.approvalsRequired),
    f.requestedById,
    f.requestedByLabel,
    String(f.createdAt.getTime()),
    f.expiresAt === null ? null : String(f.expiresAt.getTime()),
  ];
  return createHash("sha256").update([VERSION, ...values.map(field)].join("\n"), "utf8").digest("hex");
}

/**
 * The texts PostgreSQL will store for a request about to be inserted: uuids
 * in canonical form, JSON as jsonb prints it. Hashing these (not JavaScript's
 * own rendering) is what makes the hash recomputable from the row.
 */
export async function canonicalTexts(
  tx: Tx,
  v: { environmentId: string; targetModelRefId: string | null; evidenceRunId: string | null; requestedById: string | null; policy: unknown; evidenceSummary: unknown },
): Promise<Pick<FrozenFields, "environmentId" | "targetModelRefId" | "evidenceRunId" | "requestedById" | "policyText" | "evidenceSummaryText">> {
  const summary = v.evidenceSummary === null || v.evidenceSummary === undefined ? null : JSON.stringify(v.evidenceSummary);
  const [row] = await tx.$queryRaw<Pick<FrozenFields, "environmentId" | "targetModelRefId" | "evidenceRunId" | "requestedById" | "policyText" | "evidenceSummaryText">[]>`
    SELECT ${v.environmentId}::uuid::text AS "environmentId", ${v.targetModelRefId}::uuid::text AS "targetModelRefId",
           ${v.evidenceRunId}::uuid::text AS "evidenceRunId", ${v.requestedById}::uuid::text AS "requestedById",
           ${JSON.stringify(v.policy)}::jsonb::text AS "policyText", ${summary}::jsonb::text AS "evidenceSummaryText"`;
  return row!;
}

/** null when the row still hashes to its request_hash; otherwise both values. */
export function frozenMismatch(r: FrozenFields & { requestHash: string }): { stored: string; actual: string } | null {
  const actual = frozenHash(r);
  return actual === r.requestHash ? null : { stored: r.requestHash, actual };
}

export function tamperedMessage(number: number): string {
  return `Request #${number} was changed after it was submitted (its content no longer matches its frozen hash), so it cannot be decided. This was recorded in the audit log; make a new request, and an admin can cancel this one.`;
}

/** The audit event of a refused decision; the caller commits it and then refuses (ConflictError). */
export async function recordTampered(
  tx: Tx,
  ctx: { actor: AuditActor; requestId: string },
  r: FrozenFields,
  decision: "approve" | "reject" | "apply",
  mismatch: { stored: string; actual: string },
): Promise<string> {
  const message = tamperedMessage(r.number);
  await appendAuditEvent(tx, {
    actor: ctx.actor,
    action: "request.integrity_failed",
    functionId: r.functionId,
    environmentId: r.environmentId,
    targetType: "promotion_request",
    targetId: r.id,
    after: { request: `#${r.number}`, decision, refused: true, storedHash: mismatch.stored, recomputedHash: mismatch.actual },
    reason: message,
    requestId: ctx.requestId,
  });
  return message;
}
