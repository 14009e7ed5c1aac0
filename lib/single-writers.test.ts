import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Tables with one writer, enforced by scanning the source for any other write
 * (Prisma calls or SQL), so a shortcut added elsewhere fails the build instead
 * of a review:
 *   - pins and pin_revisions: only lib/pins/service.ts (DESIGN.md invariant 1);
 *   - audit_events: only lib/audit/service.ts (`appendAuditEvent`, which keeps
 *     the hash chain and the signed head);
 *   - webhook_events: only the outbox, lib/webhooks/emit.ts (`emitWebhookEvent`,
 *     in the caller's transaction). Marking events dispatched and retention's
 *     deletes are the outbox's own bookkeeping, not new events.
 * Benches build throwaway databases and fill them directly; they are not scanned.
 */
const ROOT = path.resolve(__dirname, "..");
const SCANNED = ["app", "components", "lib", "scripts", "prisma/seed.ts"];
const NOT_SCANNED = /(^|\/)bench[-/]/;
const PRISMA_WRITES = "create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany";

const WRITERS = [
  {
    tables: "pins or pin revisions",
    writer: "lib/pins/service.ts",
    writes: [
      new RegExp(`\\.pin\\.(${PRISMA_WRITES})\\b`),
      new RegExp(`\\.pinRevision\\.(${PRISMA_WRITES})\\b`),
      /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(pins|pin_revisions)"?\b/, // SQL keywords in capitals, as written here
    ],
    minimumInWriter: 2,
  },
  {
    tables: "audit events",
    writer: "lib/audit/service.ts",
    writes: [new RegExp(`\\.auditEvent\\.(${PRISMA_WRITES})\\b`), /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?audit_events"?\b/],
    minimumInWriter: 1,
  },
  {
    tables: "webhook events",
    writer: "lib/webhooks/emit.ts",
    writes: [/\.webhookEvent\.(create|createMany|createManyAndReturn|upsert)\b/, /\b(INSERT\s+INTO|COPY)\s+"?webhook_events"?\b/],
    minimumInWriter: 1,
  },
];

function files(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs).flatMap((name) => {
    const child = path.join(rel, name);
    if (name === "generated" || name === "node_modules") return [];
    if (statSync(path.join(ROOT, child)).isDirectory()) return files(child);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.ts$/.test(name) ? [child] : [];
  });
}

const sources = SCANNED.flatMap(files)
  .map((f) => f.split(path.sep).join("/"))
  .filter((f) => !NOT_SCANNED.test(f));

describe.each(WRITERS)("$tables have one writer", ({ tables, writer, writes, minimumInWriter }) => {
  it(`no code outside ${writer} writes ${tables}`, () => {
    const offenders = sources
      .filter((f) => f !== writer)
      .filter((f) => writes.some((re) => re.test(readFileSync(path.join(ROOT, f), "utf8"))));
    expect(offenders).toEqual([]);
  });

  it(`the scan does find the writes of ${writer} itself`, () => {
    const source = readFileSync(path.join(ROOT, writer), "utf8");
    expect(writes.filter((re) => re.test(source)).length).toBeGreaterThanOrEqual(minimumInWriter);
  });
});
