import { createHash } from "node:crypto";

/** The genesis value of the chain: the prevHash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

export type HashedFields = {
  id: bigint | string | number;
  createdAt: Date;
  actorId: string | null;
  actorLabel: string;
  action: string;
  functionId: string | null;
  environmentId: string | null;
  targetType: string | null;
  targetId: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  requestId: string | null;
  prevHash: string;
};

/** JSON with object keys sorted at every level (jsonb does not keep key order). */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 over the previous hash and the event's canonical form. */
export function eventHash(e: HashedFields): string {
  const body = canonicalJson({
    id: String(e.id),
    createdAt: e.createdAt.toISOString(),
    actorId: e.actorId,
    actorLabel: e.actorLabel,
    action: e.action,
    functionId: e.functionId,
    environmentId: e.environmentId,
    targetType: e.targetType,
    targetId: e.targetId,
    before: e.before ?? null,
    after: e.after ?? null,
    reason: e.reason,
    requestId: e.requestId,
  });
  return createHash("sha256").update(e.prevHash).update("\n").update(body).digest("hex");
}
