import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import {
  MAX_IMAGE_BYTES,
  MAX_SAMPLES_PER_SET,
  MAX_SET_BYTES,
  checkImageBytes,
  decodeUtf8Strict,
  formatBytes,
  mergeParseResults,
  parseCsv,
  parseCsvNumber,
  parseImageFile,
  parseImages,
  parseJsonl,
  parseTextLines,
  readStreamAtMost,
  sniffImage,
  type BlobLike,
  type Sample,
} from "./parse";

// Fixtures are generated here: only the first bytes of an image matter to the parser.
const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p, "latin1")] : p)));
const PNG = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], "IHDR", [0, 0, 0, 1, 0, 0, 0, 1]);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], "JFIF", [0, 1, 2, 3]);
const GIF = bytes("GIF89a", [1, 0, 1, 0, 0, 0, 0]);
const WEBP = bytes("RIFF", [26, 0, 0, 0], "WEBPVP8 ", [0, 0, 0, 0]);
const HTML = bytes("<!DOCTYPE html>\n<html><head><title>Not found</title></head><body>404</body></html>\n");

const sha = (kind: string, payload: string | Uint8Array) => createHash("sha256").update(`${kind}\n`).update(payload).digest("hex");
const values = (samples: Sample[]) => samples.map((s) => s.value);

/** A File-like object that records what was read. */
function blobLike(content: Uint8Array, name: string, size = content.length) {
  const reads: string[] = [];
  const blob = new Blob([new Uint8Array(content)]);
  const file: BlobLike = {
    size,
    name,
    slice(start, end) {
      reads.push(`slice(${start}, ${end})`);
      return blob.slice(start, end);
    },
    arrayBuffer() {
      reads.push("all");
      return blob.arrayBuffer();
    },
  };
  return { file, reads };
}

describe("limits", () => {
  it("are the issue's numbers (MB = 2^20 bytes)", () => {
    expect(MAX_IMAGE_BYTES).toBe(10 * 1024 * 1024);
    expect(MAX_SAMPLES_PER_SET).toBe(10_000);
    expect(MAX_SET_BYTES).toBe(200 * 1024 * 1024);
    expect(formatBytes(MAX_IMAGE_BYTES)).toBe("10 MB");
    expect(formatBytes(50.25 * 1024 * 1024)).toBe("50.3 MB");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(1)).toBe("1 byte");
  });
});

describe("sniffImage and checkImageBytes", () => {
  it("recognises JPEG, PNG, WebP and GIF by their first bytes", () => {
    expect(sniffImage(JPEG)).toBe("image/jpeg");
    expect(sniffImage(PNG)).toBe("image/png");
    expect(sniffImage(WEBP)).toBe("image/webp");
    expect(sniffImage(GIF)).toBe("image/gif");
    expect(sniffImage(bytes("GIF87a"))).toBe("image/gif");
  });

  it("returns null for everything else, including truncated signatures and other RIFF files", () => {
    expect(sniffImage(HTML)).toBeNull();
    expect(sniffImage(new Uint8Array())).toBeNull();
    expect(sniffImage(bytes([0xff, 0xd8]))).toBeNull();
    expect(sniffImage(bytes([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
    expect(sniffImage(bytes("RIFF", [0, 0, 0, 0], "WAVEfmt "))).toBeNull();
  });

  it("rejects an HTML file renamed .jpg, saying what it is", () => {
    const check = checkImageBytes(HTML, "cat.jpg");
    expect(check).toEqual({
      ok: false,
      reason: '"cat.jpg" is an HTML page, not an image. Only JPEG, PNG, WebP and GIF images are accepted, recognised by their content, not their file name.',
    });
  });

  it("names other common non-images", () => {
    const reason = (b: Uint8Array) => (checkImageBytes(b, "x.png") as { reason: string }).reason;
    expect(reason(bytes("%PDF-1.7\n"))).toContain("is a PDF document, not an image");
    expect(reason(bytes('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toContain("is an SVG image, which is not supported");
    expect(reason(bytes([0, 0, 0, 24], "ftypheic", [0, 0, 0, 0]))).toContain("is a HEIC image, which is not supported");
    expect(reason(bytes("just some notes\n"))).toContain("is a text file, not an image");
    expect(reason(new Uint8Array())).toBe('"x.png" is empty.');
  });

  it("accepts the right bytes whatever the file is called, and checks the size", () => {
    expect(checkImageBytes(PNG, "photo.jpg")).toEqual({ ok: true, mimeType: "image/png" });
    expect(checkImageBytes(PNG, "p.png", { imageBytes: 10 })).toEqual({ ok: false, reason: '"p.png" is 24 bytes; an image can be at most 10 bytes.' });
  });
});

describe("parseImageFile and readStreamAtMost", () => {
  it("rejects a 50 MB image by its size without reading it", async () => {
    const file: BlobLike = {
      size: 50 * 1024 * 1024,
      name: "huge.png",
      slice: vi.fn(() => {
        throw new Error("must not read");
      }),
      arrayBuffer: vi.fn(() => Promise.reject(new Error("must not read"))),
    };
    expect(await parseImageFile(file)).toEqual({ ok: false, reason: '"huge.png" is 50 MB; an image can be at most 10 MB.' });
    expect(file.slice).not.toHaveBeenCalled();
    expect(file.arrayBuffer).not.toHaveBeenCalled();
  });

  it("reads only the head of a non-image, and all of an image", async () => {
    const html = blobLike(HTML, "cat.jpg");
    const rejected = await parseImageFile(html.file);
    expect(rejected.ok).toBe(false);
    expect(html.reads).toEqual(["slice(0, 512)"]);

    const png = blobLike(PNG, "dot.png");
    const accepted = await parseImageFile(png.file);
    expect(accepted).toEqual({ ok: true, mimeType: "image/png", bytes: PNG, contentHash: sha("image", PNG) });
    expect(png.reads).toEqual(["slice(0, 512)", "all"]);
  });

  it("stops reading a stream as soon as it passes the limit, and cancels it", async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let pulled = 0;
    const cancel = vi.fn();
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 50) controller.close(); // a 50 MB body
        else controller.enqueue(chunk);
      },
      cancel,
    });
    const result = await readStreamAtMost(stream, MAX_IMAGE_BYTES, '"huge.png"');
    expect(result).toEqual({ ok: false, reason: '"huge.png" is larger than 10 MB, the limit.', bytesRead: 11 * 1024 * 1024 });
    expect(cancel).toHaveBeenCalledOnce();
    expect(pulled).toBeLessThanOrEqual(12); // 11 chunks read, at most one more queued
  });

  it("returns a stream that fits, whole", async () => {
    const stream = new Blob([new Uint8Array(PNG), new Uint8Array(GIF)]).stream();
    const result = await readStreamAtMost(stream, 1000);
    expect(result).toEqual({ ok: true, bytes: bytes([...PNG], [...GIF]) });
  });
});

describe("parseImages", () => {
  it("accepts images by content, drops duplicates and lists rejected files by position and name", async () => {
    const files = [
      blobLike(PNG, "a.png").file,
      blobLike(JPEG, "b.jpeg").file,
      blobLike(HTML, "cat.jpg").file,
      blobLike(GIF, "c.gif").file,
      blobLike(PNG, "a copy.png").file,
      blobLike(WEBP, "d.bin").file,
    ];
    const result = await parseImages(files);
    expect(result.error).toBeUndefined();
    expect(result.samples.map((s) => [s.kind, s.kind === "image" && s.value.mimeType, s.sourceRow, s.source])).toEqual([
      ["image", "image/png", 1, "a.png"],
      ["image", "image/jpeg", 2, "b.jpeg"],
      ["image", "image/gif", 4, "c.gif"],
      ["image", "image/webp", 6, "d.bin"],
    ]);
    expect(result.samples[0]?.contentHash).toBe(sha("image", PNG));
    expect(result.rejected).toEqual([{ row: 3, source: "cat.jpg", reason: expect.stringContaining('"cat.jpg" is an HTML page, not an image') }]);
    expect(result.duplicates).toBe(1);
    expect(result.duplicateRows).toEqual([{ row: 5, duplicateOf: 1, source: "a copy.png", duplicateOfSource: "a.png" }]);
    expect(result.bytes).toBe(PNG.length + JPEG.length + GIF.length + WEBP.length);
  });

  it("refuses the whole set when it goes over the set size or count, saving nothing", async () => {
    const files = [blobLike(PNG, "a.png").file, blobLike(JPEG, "b.jpg").file];
    const tooBig = await parseImages(files, { limits: { setBytes: PNG.length + 5 } });
    expect(tooBig.samples).toEqual([]);
    expect(tooBig.error).toBe("The upload adds up to more than 29 bytes; a sample set can hold at most 29 bytes. Split it into smaller sets.");
    const tooMany = await parseImages(files, { limits: { samplesPerSet: 1 } });
    expect(tooMany.samples).toEqual([]);
    expect(tooMany.error).toBe("The upload has more than 1 samples; a sample set holds at most 1. Split it into smaller sets.");
  });

  it("refuses an upload with no usable image", async () => {
    const result = await parseImages([blobLike(HTML, "cat.jpg").file]);
    expect(result.error).toBe("The upload has no usable samples: its only row was rejected.");
    expect(result.rejected).toHaveLength(1);
    expect((await parseImages([])).error).toBe("No images were uploaded.");
  });
});

describe("decodeUtf8Strict", () => {
  it("decodes UTF-8 and drops a BOM", () => {
    expect(decodeUtf8Strict(bytes([0xef, 0xbb, 0xbf], "text\n", [0xc3, 0xa9]))).toEqual({ ok: true, text: "text\né" });
  });

  it("refuses invalid UTF-8, naming the byte and the line", () => {
    // "text\nok\nbad " then 0xFF: the 13th byte, on line 3.
    expect(decodeUtf8Strict(bytes("text\nok\nbad ", [0xff], " x\n"))).toEqual({
      ok: false,
      error: "The file is not valid UTF-8: byte 0xFF on line 3 (byte 13) is not part of a UTF-8 character. Save the file as UTF-8 and upload it again.",
    });
    // Latin-1 "café" (0xE9 followed by a newline, not a continuation byte).
    expect(decodeUtf8Strict(bytes("caf", [0xe9], "\n"))).toMatchObject({ ok: false, error: expect.stringContaining("byte 0xE9 on line 1 (byte 4)") });
    // Overlong "/" (C0 AF) and a UTF-16 surrogate (ED A0 80) are not UTF-8 either.
    expect(decodeUtf8Strict(bytes([0xc0, 0xaf])).ok).toBe(false);
    expect(decodeUtf8Strict(bytes("a", [0xed, 0xa0, 0x80])).ok).toBe(false);
    // Truncated at the end of the file.
    expect(decodeUtf8Strict(bytes("ab", [0xe2, 0x82]))).toMatchObject({ ok: false, error: expect.stringContaining("byte 0xE2 on line 1 (byte 3)") });
  });

  it("recognises UTF-16", () => {
    expect(decodeUtf8Strict(bytes([0xff, 0xfe], [0x74, 0, 0x65, 0]))).toEqual({
      ok: false,
      error: 'The file is UTF-16 text, not UTF-8. Save it as UTF-8 (in Excel: "CSV UTF-8") and upload it again.',
    });
  });

  it("every text entry point refuses invalid UTF-8 with that message and no samples", () => {
    const bad = bytes("text,label\nhello,", [0xff], "\n");
    for (const result of [parseCsv(bad), parseJsonl(bad), parseTextLines(bad)]) {
      expect(result.samples).toEqual([]);
      expect(result.error).toMatch(/^The file is not valid UTF-8: byte 0xFF on line 2/);
    }
  });

  it("text entry points say so when given an image", () => {
    expect(parseCsv(PNG).error).toBe("The CSV file is a PNG image, not text. Upload images as images.");
  });
});

describe("parseTextLines", () => {
  it("one sample per non-empty trimmed line; CRLF; duplicates dropped and counted", () => {
    const result = parseTextLines("  great product \r\nterrible\r\n\r\ngreat product\n  \nterrible\nGreat product\n");
    expect(result.error).toBeUndefined();
    expect(values(result.samples)).toEqual(["great product", "terrible", "Great product"]);
    expect(result.samples.map((s) => [s.kind, s.sourceRow])).toEqual([
      ["text", 1],
      ["text", 2],
      ["text", 7],
    ]);
    expect(result.duplicates).toBe(2);
    expect(result.duplicateRows).toEqual([
      { row: 4, duplicateOf: 1 },
      { row: 6, duplicateOf: 2 },
    ]);
    expect(result.samples[0]?.contentHash).toBe(sha("text", "great product"));
    expect(result.samples[0]?.label).toBeUndefined();
    // "great product" + "terrible" + "Great product" in UTF-8.
    expect(result.bytes).toBe(13 + 8 + 13);
  });

  it("takes bytes as well as text, and a URL line is an image URL unless the function takes text", () => {
    const input = new TextEncoder().encode("\uFEFFhttps://cdn.example.com/p/123?w=640\nnice day\n");
    expect(parseTextLines(input).samples.map((s) => s.kind)).toEqual(["imageUrl", "text"]);
    expect(parseTextLines(input, { inputKind: "text" }).samples.map((s) => s.kind)).toEqual(["text", "text"]);
    const images = parseTextLines(input, { inputKind: "image" });
    expect(images.samples.map((s) => s.kind)).toEqual(["imageUrl"]);
    expect(images.rejected).toEqual([{ row: 2, reason: "Not an image URL: expected an http:// or https:// address or a data:image URI." }]);
  });

  it("rejects too-long lines and NUL characters, and refuses empty input", () => {
    const result = parseTextLines(`ok\n${"x".repeat(10_001)}\nbad\u0000byte\n`, { source: "notes.txt" });
    expect(values(result.samples)).toEqual(["ok"]);
    expect(result.samples[0]?.source).toBe("notes.txt");
    expect(result.rejected).toEqual([
      { row: 2, source: "notes.txt", reason: "The text is too long: 10,001 characters; the limit is 10,000." },
      { row: 3, source: "notes.txt", reason: "The data contains a NUL character (is it binary?)." },
    ]);
    expect(parseTextLines(" \n\r\n").error).toBe("The text is empty: put one sample per line.");
    expect(parseTextLines("").samples).toEqual([]);
  });

  it("refuses more samples than the set holds, counting unique samples only", () => {
    const lines = Array.from({ length: 5 }, (_, i) => `line ${i}`);
    expect(parseTextLines([...lines, "line 0"].join("\n"), { limits: { samplesPerSet: 5 } }).samples).toHaveLength(5);
    const over = parseTextLines([...lines, "line 5"].join("\n"), { limits: { samplesPerSet: 5 } });
    expect(over.samples).toEqual([]);
    expect(over.error).toBe("The text has more than 5 samples; a sample set holds at most 5. Split it into smaller sets.");
  });
});

describe("parseCsv: happy paths", () => {
  it("text with a ground-truth column", () => {
    const csv = 'id,Text,Ground Truth\n1,"Loved it, would buy again",positive\n2,Broke after a day,negative\n3,"He said ""meh""",\n';
    const result = parseCsv(csv);
    expect(result.error).toBeUndefined();
    expect(result.columns).toEqual({
      header: ["id", "Text", "Ground Truth"],
      delimiter: ",",
      mode: "data",
      dataColumn: "Text",
      labelColumn: "Ground Truth",
      tabularColumns: [],
    });
    expect(result.samples.map(({ kind, value, label, sourceRow }) => ({ kind, value, label, sourceRow }))).toEqual([
      { kind: "text", value: "Loved it, would buy again", label: "positive", sourceRow: 2 },
      { kind: "text", value: "Broke after a day", label: "negative", sourceRow: 3 },
      { kind: "text", value: 'He said "meh"', label: undefined, sourceRow: 4 },
    ]);
    expect(result.rejected).toEqual([]);
  });

  it("image URLs, with or without an image extension; the same URL spelled differently is a duplicate", () => {
    const csv = [
      "image_url,label",
      "https://cdn.example.com/cats/1.jpg,cat",
      "https://images.example.com/render?id=42&w=640,dog",
      "HTTPS://CDN.Example.com:443/cats/1.jpg,cat",
      "www.example.com/no-scheme.jpg,cat",
      "ftp://example.com/a.png,cat",
    ].join("\n");
    const result = parseCsv(csv);
    expect(result.samples.map((s) => [s.kind, s.value, s.label])).toEqual([
      ["imageUrl", "https://cdn.example.com/cats/1.jpg", "cat"],
      ["imageUrl", "https://images.example.com/render?id=42&w=640", "dog"],
      ["text", "www.example.com/no-scheme.jpg", "cat"],
      ["text", "ftp://example.com/a.png", "cat"],
    ]);
    expect(result.samples[0]?.contentHash).toBe(sha("imageUrl", "https://cdn.example.com/cats/1.jpg"));
    expect(result.duplicateRows).toEqual([{ row: 4, duplicateOf: 2 }]);

    // When the caller knows the function takes images, a value that is no image URL is refused.
    const strict = parseCsv(csv, { inputKind: "image" });
    expect(strict.samples).toHaveLength(2);
    expect(strict.rejected.map((r) => r.row)).toEqual([5, 6]);
  });

  it("tabular rows when there is no data column: numbers as numbers, codes as strings", () => {
    const csv = "row_id;age;income;zip;city;notes;label\n1;34;52000.5;02139;Boston;;yes\n2;-7;1e3;10001;;x;no\n3;;;;;;maybe\n";
    const result = parseCsv(csv, { ignoreColumns: ["row_id"] });
    expect(result.columns).toMatchObject({ delimiter: ";", mode: "tabular", dataColumn: null, labelColumn: "label", tabularColumns: ["age", "income", "zip", "city", "notes"] });
    expect(result.samples.map((s) => [s.kind, s.value, s.label])).toEqual([
      ["tabular", { age: 34, income: 52000.5, zip: "02139", city: "Boston" }, "yes"],
      ["tabular", { age: -7, income: 1000, zip: 10001, notes: "x" }, "no"],
    ]);
    expect(result.rejected).toEqual([{ row: 4, reason: "Empty data: every field is empty." }]);
    expect(result.samples[0]?.contentHash).toBe(sha("tabular", '{"age":34,"city":"Boston","income":52000.5,"zip":"02139"}'));
  });

  it("the data column can be chosen, and so can the label column (or none)", () => {
    const csv = "review,stars,label\nnice,5,pos\n";
    expect(parseCsv(csv, { dataColumn: "review" }).samples.map((s) => [s.value, s.label])).toEqual([["nice", "pos"]]);
    expect(parseCsv(csv, { dataColumn: "REVIEW", labelColumn: "stars" }).samples.map((s) => [s.value, s.label])).toEqual([["nice", "5"]]);
    expect(parseCsv(csv, { dataColumn: "review", labelColumn: null }).samples[0]?.label).toBeUndefined();
    expect(parseCsv(csv, { dataColumn: "nope" }).error).toBe('The CSV file has no column "nope" for the data (columns: "review", "stars", "label").');
    expect(parseCsv("text,label\na,b\n", { inputKind: "tabular" }).samples[0]?.value).toEqual({ text: "a" });
  });

  it("takes bytes with a BOM, tabs, and a base64 image in a data column", () => {
    const uri = `data:image/png;base64,${Buffer.from(PNG).toString("base64")}`;
    const input = new TextEncoder().encode(`\uFEFFdata\tlabel\n${uri}\tdot\n`);
    const result = parseCsv(input);
    expect(result.columns?.delimiter).toBe("\t");
    expect(result.samples).toHaveLength(1);
    const sample = result.samples[0];
    expect(sample?.kind).toBe("image");
    if (sample?.kind === "image") expect(sample.value).toEqual({ mimeType: "image/png", bytes: PNG });
    expect(sample?.contentHash).toBe(sha("image", PNG));
  });
});

describe("parseCsv: bad input", () => {
  it("empty CSV", () => {
    for (const input of ["", "\n\n  \n", new Uint8Array()]) {
      const result = parseCsv(input);
      expect(result.samples).toEqual([]);
      expect(result.error).toBe("The CSV file is empty: it needs a header row and at least one data row.");
    }
    expect(parseCsv("text,label\n").error).toBe("The CSV file has a header row but no data rows.");
  });

  it("CSV without a data column", () => {
    const expected = (found: string) =>
      `The CSV file has no data column: name the column that holds the samples "data", "text", "input", "url", "image_url" or "image", or choose it (found: ${found}).`;
    expect(parseCsv("label\ncat\ndog\n").error).toBe(expected('"label"'));
    expect(parseCsv("review,label\ngreat,pos\n").error).toBe(expected('"review", "label"'));
    // Several columns would be tabular, but not for a function that takes text.
    expect(parseCsv("a,b\n1,2\n", { inputKind: "text" }).error).toBe(expected('"a", "b"'));
    expect(parseCsv("review,label\ngreat,pos\n").samples).toEqual([]);
  });

  it("CSV over the sample limit (10,001 rows), while 10,000 rows are fine", () => {
    const rows = (n: number) => ["text,label", ...Array.from({ length: n }, (_, i) => `sample number ${i},${i % 2 ? "odd" : "even"}`)].join("\n");
    const ok = parseCsv(rows(10_000));
    expect(ok.error).toBeUndefined();
    expect(ok.samples).toHaveLength(10_000);
    expect(ok.samples.at(-1)?.sourceRow).toBe(10_001);
    const over = parseCsv(rows(10_001));
    expect(over.samples).toEqual([]);
    expect(over.error).toBe("The CSV file has more than 10,000 samples; a sample set holds at most 10,000. Split it into smaller sets.");
  });

  it("a file over 200 MB is refused before it is decoded", () => {
    const result = parseCsv(new Uint8Array(MAX_SET_BYTES + 1));
    expect(result.error).toBe("The CSV file is 200.0 MB; a sample set can hold at most 200 MB. Split it into smaller sets.");
  });

  it("lists malformed, empty and too-long rows with their line numbers", () => {
    const csv = [
      "text,label", // 1
      "fine,a", // 2
      '"spans', // 3
      'two lines",b', // 4
      "too,many,fields", // 5
      "", // 6 (blank: skipped, not rejected)
      ",c", // 7
      `${"y".repeat(10_001)},d`, // 8
      "also fine,e", // 9
      "x,\u0000", // 10
      '"never closed,f', // 11
      "lost,g", // 12 (read as part of line 11's field)
    ].join("\n");
    const result = parseCsv(csv);
    expect(result.samples.map((s) => [s.sourceRow, s.value])).toEqual([
      [2, "fine"],
      [3, "spans\ntwo lines"],
      [9, "also fine"],
    ]);
    expect(result.rejected).toEqual([
      { row: 5, reason: 'Malformed row: 3 fields, but the header has 2. Quote values that contain ",".' },
      { row: 7, reason: "Empty data." },
      { row: 8, reason: "The text is too long: 10,001 characters; the limit is 10,000." },
      { row: 10, reason: "The label contains a NUL character." },
      { row: 11, reason: "Malformed row: a quoted field is never closed, so the rest of the file was read as part of this row." },
    ]);
  });

  it("refuses duplicate column names and an all-rejected file", () => {
    expect(parseCsv("text,text\na,b\n").error).toBe('The CSV header names the column "text" twice; column names must be unique.');
    const allBad = parseCsv("text,label\n,a\n,b\n");
    expect(allBad.error).toBe("The CSV file has no usable samples: all 2 rows were rejected.");
    expect(allBad.rejected).toHaveLength(2);
  });

  it("counts a duplicate with another label as a conflict, keeping the first", () => {
    const result = parseCsv("text,label\nsame,a\nsame,b\nsame,a\nsame,\n");
    expect(result.samples.map((s) => s.label)).toEqual(["a"]);
    expect(result.duplicateRows).toEqual([
      { row: 3, duplicateOf: 2, conflictingLabel: "b" },
      { row: 4, duplicateOf: 2 },
      { row: 5, duplicateOf: 2 },
    ]);
  });
});

describe("parseCsvNumber", () => {
  it("parses plain decimals only", () => {
    expect(["0", "-7", "+3", "1.5", ".5", "5.", "1e3", "-2.5E-2"].map(parseCsvNumber)).toEqual([0, -7, 3, 1.5, 0.5, 5, 1000, -0.025]);
    expect(["007", "0.5", "-0.5"].map(parseCsvNumber)).toEqual(["007", 0.5, -0.5]);
    expect(["1,000", "0x1F", "Infinity", "NaN", "12345678901234567890", "1e400", "3 kg", ""].map(parseCsvNumber)).toEqual([
      "1,000",
      "0x1F",
      "Infinity",
      "NaN",
      "12345678901234567890",
      "1e400",
      "3 kg",
      "",
    ]);
  });
});

describe("parseJsonl", () => {
  it("mixed lines: text, image URL, tabular object, data URI; labels; duplicates by canonical form", () => {
    const uri = `data:image/gif;base64,${Buffer.from(GIF).toString("base64")}`;
    const jsonl = [
      JSON.stringify({ data: "the soup was cold", label: "negative" }), // 1
      JSON.stringify({ data: "https://example.com/img/9", label: "cat" }), // 2
      "", // 3
      JSON.stringify({ data: { age: 41, city: "Oslo", vip: null, note: " " }, label: 1 }), // 4
      JSON.stringify({ label: "dog", image_url: uri }), // 5
      JSON.stringify({ data: { city: "Oslo", age: 41 } }), // 6: same fields, other order
      JSON.stringify({ text: "the soup was cold", truth: "positive" }), // 7: same text
    ].join("\r\n");
    const result = parseJsonl(jsonl);
    expect(result.error).toBeUndefined();
    expect(result.samples.map((s) => [s.sourceRow, s.kind, s.label])).toEqual([
      [1, "text", "negative"],
      [2, "imageUrl", "cat"],
      [4, "tabular", "1"],
      [5, "image", "dog"],
    ]);
    expect(result.samples[2]?.value).toEqual({ age: 41, city: "Oslo" });
    expect(result.duplicateRows).toEqual([
      { row: 6, duplicateOf: 4 },
      { row: 7, duplicateOf: 1, conflictingLabel: "positive" },
    ]);
  });

  it("a line that is not JSON is rejected with its line number and the parse error", () => {
    const result = parseJsonl('{"data": "ok"}\n{"data": "unterminated\n{"data": "fine"}\n');
    expect(values(result.samples)).toEqual(["ok", "fine"]);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]?.row).toBe(2);
    expect(result.rejected[0]?.reason).toMatch(/^Not valid JSON: .*(Unterminated string|position)/);
  });

  it("rejects lines of the wrong shape, each with a reason", () => {
    const result = parseJsonl(
      [
        "[1, 2]",
        '"just a string"',
        '{"input": ""}',
        '{"name": "no data field"}',
        '{"data": 42}',
        '{"data": {"tags": ["a"]}}',
        '{"data": "x", "label": {"name": "cat"}}',
        '{"data": "kept"}',
      ].join("\n"),
    );
    expect(values(result.samples)).toEqual(["kept"]);
    expect(result.rejected).toEqual([
      { row: 1, reason: "Expected a JSON object, got an array." },
      { row: 2, reason: "Expected a JSON object, got a string." },
      { row: 3, reason: "Empty data." },
      { row: 4, reason: 'No data field: expected one of "data", "text", "input", "url", "image_url", "image".' },
      { row: 5, reason: '"data" is a number; it must be a string (text or image URL) or an object (tabular fields).' },
      { row: 6, reason: 'Field "tags" is an array; tabular fields must be strings or numbers.' },
      { row: 7, reason: "The label is an object; it must be a string." },
    ]);
  });

  it("honours dataField, labelField and inputKind", () => {
    const line = JSON.stringify({ body: "https://example.com/a.png", label: "x", gold: "y" });
    const result = parseJsonl(line, { dataField: "body", labelField: "gold", inputKind: "text" });
    expect(result.samples.map((s) => [s.kind, s.value, s.label])).toEqual([["text", "https://example.com/a.png", "y"]]);
    expect(parseJsonl(line, { dataField: "missing" }).rejected[0]?.reason).toBe('No data field: expected "missing".');
    expect(parseJsonl(JSON.stringify({ data: { a: 1 } }), { inputKind: "text" }).rejected[0]?.reason).toBe("Expected text, got tabular fields.");
  });

  it("empty and all-rejected files are refused as a whole", () => {
    expect(parseJsonl("\n \n").error).toBe("The JSONL file is empty: put one JSON object per line.");
    const bad = parseJsonl("nope\n");
    expect(bad.samples).toEqual([]);
    expect(bad.error).toBe("The JSONL file has no usable samples: its only row was rejected.");
    expect(bad.rejected[0]?.row).toBe(1);
  });
});

describe("mergeParseResults", () => {
  it("combines files into one set, dropping duplicates across files and applying the limits to the whole", async () => {
    const images = await parseImages([blobLike(PNG, "a.png").file, blobLike(GIF, "b.gif").file]);
    const csv = parseCsv(`data,label\n"data:image/png;base64,${Buffer.from(PNG).toString("base64")}",dot\nhello,greeting\n`, { source: "set.csv" });
    const merged = mergeParseResults([images, csv]);
    expect(merged.error).toBeUndefined();
    expect(merged.samples.map((s) => [s.source, s.sourceRow, s.kind])).toEqual([
      ["a.png", 1, "image"],
      ["b.gif", 2, "image"],
      ["set.csv", 3, "text"],
    ]);
    // The CSV's data-URI image is a.png again; its label is lost with it, so it is flagged.
    expect(merged.duplicateRows).toEqual([{ row: 2, duplicateOf: 1, source: "set.csv", duplicateOfSource: "a.png", conflictingLabel: "dot" }]);
    expect(mergeParseResults([images, csv], { limits: { samplesPerSet: 2 } }).error).toBe(
      "The upload has more than 2 samples; a sample set holds at most 2. Split it into smaller sets.",
    );
    expect(mergeParseResults([images, parseCsv("")]).error).toBe("The CSV file is empty: it needs a header row and at least one data row.");
  });
});
