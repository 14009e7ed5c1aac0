import { describe, expect, it } from "vitest";
import { CsvParser } from "./csv";
import { MAX_EXAMPLES, SAMPLE_LIMITS } from "./limits";
import { SetBuilder, type SampleSink } from "./set-builder";
import { JsonlParser, TextLinesParser, type FileParser } from "./text-parsers";
import type { Sample } from "./types";

/** Feeds `input` to a parser in chunks of `size` bytes (splitting lines, quotes and UTF-8 sequences). */
function feed(parser: FileParser, input: string | Buffer, size: number): string | null {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  for (let at = 0; at < bytes.length; at += size) {
    const error = parser.write(bytes.subarray(at, at + size));
    if (error) return error;
  }
  return parser.end();
}

function collecting() {
  const batches: Sample[][] = [];
  const sink: SampleSink = {
    write: async (batch) => {
      batches.push(batch);
    },
  };
  return { sink, batches };
}

describe("streaming parsers", () => {
  it("count every rejected and duplicate row but keep at most 200 examples of each", () => {
    const lines: string[] = ["kept"];
    for (let i = 0; i < 5_000; i++) lines.push("bad\u0000line", "kept");
    const set = new SetBuilder(SAMPLE_LIMITS, "The text", collecting());
    const error = feed(new TextLinesParser(set, "The text", { inputKind: "text" }), lines.join("\n"), 777);
    expect(error).toBeNull();
    const summary = set.summary();
    expect(summary).toMatchObject({ samples: 1, rejected: 5_000, duplicates: 5_000 });
    expect(summary.rejectedExamples).toHaveLength(MAX_EXAMPLES);
    expect(summary.duplicateExamples).toHaveLength(MAX_EXAMPLES);
    expect(summary.rejectedExamples[0]).toEqual({ row: 2, reason: "The data contains a NUL character (is it binary?)." });
    expect(summary.duplicateExamples[1]).toEqual({ row: 5, duplicateOf: 1 });
  });

  it("give the same rows whatever the chunk size: CRLF, CR and a UTF-8 character split across chunks", () => {
    const text = "héllo wörld\r\nsecond\r\n\r\nthird\rfourth\n€uro\n";
    for (const size of [1, 2, 3, 5, 64 * 1024]) {
      const set = new SetBuilder(SAMPLE_LIMITS, "The text");
      expect(feed(new TextLinesParser(set, "The text", {}), text, size)).toBeNull();
      expect(set.samples.map((s) => [s.sourceRow, s.value])).toEqual([
        [1, "héllo wörld"],
        [2, "second"],
        [4, "third"],
        [5, "fourth"],
        [6, "€uro"],
      ]);
    }
  });

  it("name the first invalid byte and its line even when it arrives in a later chunk", () => {
    const bytes = Buffer.concat([Buffer.from("one\ntwo\nthree "), Buffer.from([0xff]), Buffer.from("\n")]);
    const set = new SetBuilder(SAMPLE_LIMITS, "The text");
    expect(feed(new TextLinesParser(set, "The text", {}), bytes, 4)).toBe(
      "The file is not valid UTF-8: byte 0xFF on line 3 (byte 15) is not part of a UTF-8 character. Save the file as UTF-8 and upload it again.",
    );
  });

  it("CSV: quoted fields with delimiters, doubled quotes and line breaks, across chunks", () => {
    const csv = 'text,label\r\n"a, b",x\r\n"say ""hi""",y\r\n"two\r\nlines",z\r\n"never closed,w\r\nrest,v\r\n';
    for (const size of [1, 2, 7, 64 * 1024]) {
      const set = new SetBuilder(SAMPLE_LIMITS, "The CSV file");
      expect(feed(new CsvParser(set, {}), csv, size)).toBeNull();
      expect(set.samples.map((s) => [s.sourceRow, s.value, s.label])).toEqual([
        [2, "a, b", "x"],
        [3, 'say "hi"', "y"],
        [4, "two\r\nlines", "z"],
      ]);
      expect(set.rejected).toEqual([{ row: 6, reason: "Malformed row: a quoted field is never closed, so the rest of the file was read as part of this row." }]);
    }
  });

  it("JSONL: row numbers and the examples cap hold across chunks", () => {
    const jsonl = ['{"data":"a","label":"x"}', "oops", '{"data":"a","label":"y"}', '{"text":"b"}'].join("\n");
    const set = new SetBuilder(SAMPLE_LIMITS, "The JSONL file");
    expect(feed(new JsonlParser(set, {}), jsonl, 3)).toBeNull();
    expect(set.samples.map((s) => [s.sourceRow, s.value])).toEqual([
      [1, "a"],
      [4, "b"],
    ]);
    expect(set.rejected.map((r) => r.row)).toEqual([2]);
    expect(set.duplicateRows).toEqual([{ row: 3, duplicateOf: 1, conflictingLabel: "y" }]);
  });

  it("hand accepted samples to the sink in batches, in order, and keep none themselves", async () => {
    const { sink, batches } = collecting();
    const set = new SetBuilder(SAMPLE_LIMITS, "The text", { sink, batchSamples: 3 });
    const parser = new TextLinesParser(set, "The text", {});
    for (let i = 1; i <= 7; i++) {
      expect(parser.write(Buffer.from(`line ${i}\n`))).toBeNull();
      await set.flush();
    }
    expect(parser.end()).toBeNull();
    await set.flush(true);
    expect(set.samples).toEqual([]);
    expect(batches.map((b) => b.map((s) => s.value))).toEqual([["line 1", "line 2", "line 3"], ["line 4", "line 5", "line 6"], ["line 7"]]);
    expect(set.summary()).toMatchObject({ samples: 7, first: expect.arrayContaining([expect.objectContaining({ display: "line 7" })]) });
  });

  it("reject a line over 16 MB without keeping it, and go on with the next", () => {
    const set = new SetBuilder(SAMPLE_LIMITS, "The text");
    const parser = new TextLinesParser(set, "The text", {});
    const piece = Buffer.alloc(1024 * 1024, "x");
    for (let i = 0; i < 17; i++) expect(parser.write(piece)).toBeNull();
    expect(parser.write(Buffer.from("\nnext\n"))).toBeNull();
    expect(parser.end()).toBeNull();
    expect(set.rejected).toEqual([{ row: 1, reason: "The line is longer than 16 MB; it was skipped." }]);
    expect(set.samples.map((s) => [s.sourceRow, s.value])).toEqual([[2, "next"]]);
  });
});
