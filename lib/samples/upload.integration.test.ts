import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { ConflictError, InvalidInputError } from "@/lib/errors";
import { tinyPng } from "@/lib/nyckel/test-support";
import { createSampleSet, deleteSampleSet, renameSampleSet } from "./service";
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
    const upload = await readSampleUpload(
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
      "image",
    );
    expect(upload.ok).toBe(true);
    if (!upload.ok) return;
    expect(upload.result.samples).toHaveLength(5);
    expect(upload.result.duplicates).toBe(1);
    expect(upload.result.rejected).toEqual([expect.objectContaining({ source: "fake.jpg", reason: expect.stringMatching(/not a JPEG, PNG, WebP or GIF image.*HTML/i) })]);

    const set = await createSampleSet(sys, { functionId: FUNCTION_ID, name: upload.fields.name, result: upload.result });
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
    const upload = await readSampleUpload(uploadRequest({ name: "big", files: [{ name: "huge.png", bytes: big }] }), "image");
    expect(upload.ok).toBe(true);
    if (!upload.ok) return;
    expect(upload.result.samples).toHaveLength(0);
    expect(upload.result.rejected[0]?.reason).toContain("huge.png is larger than 10 MB");
    await expect(createSampleSet(sys, { functionId: FUNCTION_ID, name: "big", result: upload.result })).rejects.toThrow(InvalidInputError);
    expect(await prisma.sampleSet.count({ where: { functionId: FUNCTION_ID, name: "big" } })).toBe(0);
  });

  it("a CSV without a data column and a JSONL line that is not JSON get clear messages; nothing is half-saved", async () => {
    const noData = await readSampleUpload(uploadRequest({ name: "x", files: [{ name: "a.csv", bytes: "id\n1\n2\n" }] }), "text");
    expect(noData.ok && noData.result.error).toMatch(/data column/i);
    if (noData.ok) {
      await expect(createSampleSet(sys, { functionId: FUNCTION_ID, name: "x", result: noData.result })).rejects.toThrow(InvalidInputError);
    }
    const jsonl = await readSampleUpload(
      uploadRequest({ name: "j", files: [{ name: "a.jsonl", bytes: '{"data":"hello","label":"greeting"}\nnot json\n' }] }),
      "text",
    );
    expect(jsonl.ok).toBe(true);
    if (jsonl.ok) {
      expect(jsonl.result.samples).toHaveLength(1);
      expect(jsonl.result.rejected[0]).toMatchObject({ row: 2 });
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
    const upload = await readSampleUpload(uploadRequest({ name: "Tickets", text: "refund please\nrefund please\nwhere is my order\n" }), "text");
    if (!upload.ok) throw new Error(upload.message);
    expect(upload.result.samples).toHaveLength(2);
    const a = await createSampleSet(sys, { functionId: FUNCTION_ID, name: "Tickets", result: upload.result });
    await expect(createSampleSet(sys, { functionId: FUNCTION_ID, name: "tickets", result: upload.result })).rejects.toThrow(ConflictError);
    await renameSampleSet(sys, { id: a.id, name: "Tickets v2" });
    await deleteSampleSet(sys, { id: a.id });
    const row = await prisma.sampleSet.findUniqueOrThrow({ where: { id: a.id } });
    expect(row.name).toBe("Tickets v2");
    expect(row.deletedAt).not.toBeNull();
    expect(await prisma.sample.count({ where: { sampleSetId: a.id } })).toBe(2);
    const actions = (await prisma.auditEvent.findMany({ where: { targetId: a.id }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["sample_set.created", "sample_set.renamed", "sample_set.deleted"]);
    // The name is free again once deleted.
    await expect(createSampleSet(sys, { functionId: FUNCTION_ID, name: "Tickets v2", result: upload.result })).resolves.toMatchObject({ name: "Tickets v2" });
  });
});
