import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { ConflictError } from "@/lib/errors";
import { tinyPng } from "@/scripts/testing/nyckel";
import { parseTextLines } from "./parse";
import { createSampleSet, deleteSampleSet, renameSampleSet, saveSampleSetUpload } from "./service";
import { readSampleUpload } from "./upload";

const sys = systemContext("test");
const FUNCTION_ID = `function_uploadtest${Date.now()}`;

function uploadRequest(parts: { name?: string; text?: string; files?: Array<{ name: string; bytes: Uint8Array<ArrayBuffer> | string }> }) {
  const form = new FormData();
  if (parts.name !== undefined) form.set("name", parts.name);
  if (parts.text !== undefined) form.set("text", parts.text);
  for (const f of parts.files ?? []) form.append("files", new File([f.bytes], f.name));
  return new Request("http://localhost/api/functions/x/sample-sets", { method: "POST", body: form });
}

beforeAll(async () => {
  await prisma.nyckelFunction.create({
    data: { id: FUNCTION_ID, name: "Upload test", inputType: "Image", outputType: "Classification", lastSyncedAt: new Date() },
  });
});

afterAll(async () => {
  await disconnectPrisma();
});

describe("sample-set uploads (streamed multipart → parser → PostgreSQL)", () => {
  it("saves three images and a CSV with ground truth; HTML renamed .jpg and a duplicate are reported, not saved", async () => {
    const csv = "image_url,label\nhttps://example.com/a.jpg,cat\nhttps://example.com/b.jpg,dog\nhttps://example.com/a.jpg,cat\n";
    const saved = await saveSampleSetUpload(
      sys,
      { functionId: FUNCTION_ID, inputKind: "image" },
      uploadRequest({
        name: "Pets June",
        files: [
          { name: "red.png", bytes: tinyPng(4, 4, [255, 0, 0]) },
          { name: "green.png", bytes: tinyPng(4, 4, [0, 255, 0]) },
          { name: "blue.png", bytes: tinyPng(4, 4, [0, 0, 255]) },
          { name: "fake.jpg", bytes: "<!doctype html><html><body>not an image</body></html>" },
          { name: "pets.csv", bytes: csv },
        ],
      }),
    );
    if (!saved.ok) throw new Error(saved.message);
    expect(saved.summary).toMatchObject({ samples: 5, duplicates: 1, rejected: 1 });
    expect(saved.summary.rejectedExamples).toEqual([expect.objectContaining({ source: "fake.jpg", reason: expect.stringMatching(/not a JPEG, PNG, WebP or GIF image.*HTML/i) })]);
    const set = saved.set;
    const rows = await prisma.sample.findMany({ where: { sampleSetId: set.id }, orderBy: { position: "asc" } });
    expect(rows.map((r) => r.kind)).toEqual(["image", "image", "image", "imageUrl", "imageUrl"]);
    expect(rows.filter((r) => r.label).map((r) => r.label)).toEqual(["cat", "dog"]);
    expect(Buffer.from(rows[0]!.imageBytes!)).toEqual(Buffer.from(tinyPng(4, 4, [255, 0, 0])));
    const stored = await prisma.sampleSet.findUniqueOrThrow({ where: { id: set.id } });
    expect(stored).toMatchObject({ sampleCount: 5, labeledCount: 2, duplicateCount: 1, rejectedCount: 1 });
    const event = await prisma.auditEvent.findFirst({ where: { action: "sample_set.created", targetId: set.id } });
    expect(event?.after).toMatchObject({ name: "Pets June", samples: 5 });
  });

  it("refuses an image over 10 MB by size without keeping it", async () => {
    const big = new Uint8Array(11 * 1024 * 1024);
    big.set(tinyPng(1, 1, [1, 2, 3]).subarray(0, 64));
    const saved = await saveSampleSetUpload(sys, { functionId: FUNCTION_ID, inputKind: "image" }, uploadRequest({ name: "big", files: [{ name: "huge.png", bytes: big }] }));
    expect(saved).toMatchObject({ ok: false, status: 400, message: "The upload has no usable samples: its only row was rejected." });
    if (saved.ok) return;
    expect(saved.summary?.rejectedExamples[0]?.reason).toContain("huge.png is larger than 10 MB");
    expect(await prisma.sampleSet.count({ where: { functionId: FUNCTION_ID, name: "big" } })).toBe(0);
  });

  it("a CSV without a data column and a JSONL line that is not JSON get clear messages; nothing is half-saved", async () => {
    const noData = await readSampleUpload(uploadRequest({ name: "x", files: [{ name: "a.csv", bytes: "id\n1\n2\n" }] }), "text");
    expect(noData.ok && noData.summary.error).toMatch(/data column/i);
    const refused = await saveSampleSetUpload(sys, { functionId: FUNCTION_ID, inputKind: "text" }, uploadRequest({ name: "x", files: [{ name: "a.csv", bytes: "id\n1\n2\n" }] }));
    expect(refused).toMatchObject({ ok: false, status: 400, message: expect.stringMatching(/data column/i) });
    const jsonl = await readSampleUpload(
      uploadRequest({ name: "j", files: [{ name: "a.jsonl", bytes: '{"data":"hello","label":"greeting"}\nnot json\n' }] }),
      "text",
    );
    expect(jsonl.ok).toBe(true);
    if (jsonl.ok) {
      expect(jsonl.summary.samples).toBe(1);
      expect(jsonl.summary.rejectedExamples[0]).toMatchObject({ row: 2 });
    }
    expect(await prisma.sampleSet.count({ where: { functionId: FUNCTION_ID, name: { in: ["x", "j"] } } })).toBe(0);
  });

  it("refuses a request that is not multipart, and an empty one", async () => {
    const notMultipart = await readSampleUpload(new Request("http://localhost/x", { method: "POST", body: "hello", headers: { "content-type": "text/plain" } }), "text");
    expect(notMultipart).toMatchObject({ ok: false, status: 415 });
    const empty = await readSampleUpload(uploadRequest({ name: "empty" }), "text");
    expect(empty).toMatchObject({ ok: false, status: 400 });
  });

  it("keeps names unique per function, renames and deletes (soft) with audit events", async () => {
    const text = "refund please\nrefund please\nwhere is my order\n";
    const saved = await saveSampleSetUpload(sys, { functionId: FUNCTION_ID, inputKind: "text" }, uploadRequest({ name: "Tickets", text }));
    if (!saved.ok) throw new Error(saved.message);
    expect(saved.summary).toMatchObject({ samples: 2, duplicates: 1 });
    const a = saved.set;
    await expect(saveSampleSetUpload(sys, { functionId: FUNCTION_ID, inputKind: "text" }, uploadRequest({ name: "tickets", text }))).rejects.toThrow(ConflictError);
    expect(await prisma.sampleSet.count({ where: { functionId: FUNCTION_ID, name: { startsWith: "(uploading" } } })).toBe(0);
    const result = parseTextLines(text, { inputKind: "text" });
    await renameSampleSet(sys, { id: a.id, name: "Tickets v2" });
    await deleteSampleSet(sys, { id: a.id });
    const row = await prisma.sampleSet.findUniqueOrThrow({ where: { id: a.id } });
    expect(row.name).toBe("Tickets v2");
    expect(row.deletedAt).not.toBeNull();
    expect(await prisma.sample.count({ where: { sampleSetId: a.id } })).toBe(2);
    const actions = (await prisma.auditEvent.findMany({ where: { targetId: a.id }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["sample_set.created", "sample_set.renamed", "sample_set.deleted"]);
    // The name is free again once deleted.
    await expect(createSampleSet(sys, { functionId: FUNCTION_ID, name: "Tickets v2", result })).resolves.toMatchObject({ name: "Tickets v2" });
  });

  it("refuses images for a Text or Tabular function's set with a clear reason; when every row is rejected the preview keeps the reasons", async () => {
    const upload = await readSampleUpload(
      uploadRequest({ name: "mixed", files: [{ name: "cat.png", bytes: tinyPng(2, 2, [1, 2, 3]) }, { name: "notes.txt", bytes: "\u0000\n\u0000\n" }] }),
      "text",
    );
    if (!upload.ok) throw new Error(upload.message);
    expect(upload.summary.error).toBe("The upload has no usable samples: all 3 rows were rejected.");
    expect(upload.summary.rejected).toBe(3);
    expect(upload.summary.rejectedExamples).toEqual([
      { row: 1, source: "cat.png", reason: "cat.png is an image, but this function takes text: its sample sets hold text lines, CSV or JSONL rows, not images." },
      { row: 1, source: "notes.txt", reason: "The data contains a NUL character (is it binary?)." },
      { row: 2, source: "notes.txt", reason: "The data contains a NUL character (is it binary?)." },
    ]);
    const tabular = await readSampleUpload(uploadRequest({ name: "t", files: [{ name: "cat.png", bytes: tinyPng(2, 2, [1, 2, 3]) }] }), "tabular");
    expect(tabular.ok && tabular.summary.rejectedExamples[0]?.reason).toContain("this function takes tabular rows");
  });
});
