import { randomBytes, randomUUID } from "node:crypto";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/service";
import type { AuditAction } from "@/lib/audit/catalog";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { csvCell } from "@/lib/csv";
import { CSV_COLUMNS, auditExportStream } from "./export";
import { decodeCursor, encodeCursor, listAuditEvents, parseAuditQuery, type AuditFilter, type AuditRow } from "./queries";

const tag = randomBytes(4).toString("hex");
const fnA = `function_audit_a_${tag}`;
const fnB = `function_audit_b_${tag}`;
const actorX = randomUUID();
const actorY = randomUUID();

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

async function walk(filter: AuditFilter, limit: number): Promise<AuditRow[]> {
  const all: AuditRow[] = [];
  let cursor = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listAuditEvents(filter, { cursor, limit });
    all.push(...page.rows);
    if (!page.nextCursor) break;
    // The cursor survives the URL round trip.
    cursor = decodeCursor(encodeCursor(page.nextCursor));
  }
  return all;
}

let firstAt: Date;

beforeAll(async () => {
  // 130 events over two functions and two actors, appended concurrently in small groups.
  for (let i = 0; i < 130; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        prisma.$transaction((tx) =>
          appendAuditEvent(tx, {
            actor: (i + j) % 3 === 0 ? { id: actorX, label: "x@example.com" } : { id: actorY, label: "y@example.com" },
            action: ((i + j) % 2 ? "test.even" : "test.odd") as AuditAction,
            functionId: (i + j) % 5 === 0 ? fnB : fnA,
            reason: (i + j) % 7 === 0 ? `=SUM(A${i + j}), "quoted"\nsecond line` : `reason ${i + j}`,
            after: { n: i + j },
          }),
        ),
      ),
    );
  }
  firstAt = (await prisma.auditEvent.findFirstOrThrow({ where: { functionId: { in: [fnA, fnB] } }, orderBy: { id: "asc" } })).createdAt;
});

afterAll(async () => {
  await closePgPool();
  await disconnectPrisma();
});

describe("audit log queries and export (real PostgreSQL)", () => {
  it("pages newest first with keyset cursors, without gaps or repeats, filtered or not", async () => {
    const expected = await prisma.auditEvent.findMany({
      where: { functionId: { in: [fnA, fnB] } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true, functionId: true, actorId: true },
    });
    expect(expected).toHaveLength(130);
    const onlyA = expected.filter((e) => e.functionId === fnA);
    expect((await walk({ functionId: fnA }, 17)).map((r) => r.id)).toEqual(onlyA.map((e) => e.id.toString()));
    const aByX = onlyA.filter((e) => e.actorId === actorX);
    expect((await walk({ functionId: fnA, actor: actorX }, 7)).map((r) => r.id)).toEqual(aByX.map((e) => e.id.toString()));
    const bOdd = await walk({ functionId: fnB, action: "test.odd" }, 5);
    expect(bOdd.length).toBeGreaterThan(0);
    expect(bOdd.every((r) => r.functionId === fnB && r.action === "test.odd")).toBe(true);
    // Time range: from the first of these events on, everything is there.
    expect((await walk({ functionId: fnB, from: firstAt }, 50)).length).toBe(expected.length - onlyA.length);
    expect(await walk({ functionId: fnB, to: new Date(firstAt.getTime() - 1) }, 50)).toEqual([]);
  });

  it("tells API tokens (the automation API's `token: <name>`) from the system among events without a member", async () => {
    const fn = `function_audtok${Date.now().toString(36)}`;
    await prisma.nyckelFunction.create({ data: { id: fn, name: `Aud ${fn}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
    await prisma.$transaction(async (tx) => {
      await appendAuditEvent(tx, { actor: { id: null, label: "token: nightly ci" }, action: "model.registered", functionId: fn, requestId: "t" });
      await appendAuditEvent(tx, { actor: { id: null, label: "system" }, action: "model.discovered", functionId: fn, requestId: "t" });
    });
    expect((await walk({ functionId: fn, actor: "tokens" }, 10)).map((r) => r.actorLabel)).toEqual(["token: nightly ci"]);
    expect((await walk({ functionId: fn, actor: "system" }, 10)).map((r) => r.actorLabel)).toEqual(["system"]);
    expect(parseAuditQuery({ actor: "tokens" })).toMatchObject({ errors: [], filter: { actor: "tokens" } });
  });

  it("reports bad filter values instead of guessing", () => {
    expect(parseAuditQuery({ environment: "prod", actor: "bob", from: "yesterday", cursor: "%%%" }).errors).toEqual([
      "Unknown environment.",
      "Unknown actor.",
      "“yesterday” is not a time. Use a form like 2026-03-01T14:30 (UTC) or an ISO time with a zone.",
      "That page link is not valid any more. Start from the newest events.",
    ]);
    expect(parseAuditQuery({ from: "2026-03-02", to: "2026-03-01" }).errors).toEqual(["The time range ends before it starts."]);
    expect(parseAuditQuery({ function: fnA, actor: "system", action: "pin.pinned" })).toMatchObject({
      errors: [],
      filter: { functionId: fnA, actor: "system", action: "pin.pinned" },
    });
  });

  it("exports the filtered set as CSV and JSON, the same rows as the query, streamed in batches", async () => {
    const filter: AuditFilter = { functionId: fnA };
    const rows = await walk(filter, 1000);
    const csv = await readAll(auditExportStream(filter, "csv", { batchSize: 9 }));
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual([...CSV_COLUMNS]);
    expect(parsed.data.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const tricky = parsed.data.find((r) => r.reason?.includes("SUM"));
    expect(tricky?.reason).toMatch(/^'=SUM\(A\d+\), "quoted"\nsecond line$/);
    expect(JSON.parse(parsed.data[0]!.after!)).toEqual(rows[0]!.after);

    const json = JSON.parse(await readAll(auditExportStream(filter, "json", { batchSize: 11 }))) as Array<{ id: string; reason: string; hash: string }>;
    expect(json.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(json.map((r) => r.hash)).toEqual(rows.map((r) => r.hash));
    expect(JSON.parse(await readAll(auditExportStream({ functionId: "function_none" }, "json")))).toEqual([]);
  });

  it("quotes CSV cells by RFC 4180 and defuses formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell(null)).toBe("");
  });
});
