/**
 * Parsing uploaded sample sets (issue 5): text lines, CSV, JSONL and image files.
 *
 * Pure code: no database, no Next APIs. It turns what a user uploaded into samples,
 * each content-hashed, and says exactly what was refused and why. Bad input never
 * throws: it comes back as `rejected` rows (the rest of the file is fine) or as
 * `error` (the whole upload is refused, and `samples` is then empty, so nothing can
 * be half-saved). Only programming errors (bad options) throw.
 *
 * The parsers stream (text-parsers.ts, csv.ts): an upload is read chunk by chunk and
 * never held whole (upload.ts). The functions in this file are their whole-input
 * forms, for inputs already in memory (tests, scripts, the pasted text); they keep
 * every accepted sample, and, like the upload, at most MAX_EXAMPLES rejected and
 * duplicate rows as examples (with counts of all).
 *
 * Rules, in one place:
 * - Limits (limits.ts): 10 MB per image, 10,000 samples per set, 200 MB per set,
 *   where MB = 2^20 bytes. A text sample may be 10,000 characters (UTF-16 code units)
 *   and a URL 2,048: Modelpin's limits, not documented Nyckel ones. The sample count
 *   is of accepted samples after dropping duplicates and rejected rows; the set size
 *   is the sum of the samples' own bytes (UTF-8 text, image files, canonical JSON for
 *   tabular rows), and an upload bigger than 200 MB is refused.
 * - Classification of one data value (`inputKind: "auto"`, the default): a value
 *   that is a single absolute http:// or https:// URL (no whitespace, a host) is an
 *   `imageUrl`, whatever its ending: image URLs often have no extension
 *   (`…/photo?id=3`) and one ending in `.jpg` may still serve HTML, which only
 *   fetching can tell. A `data:image/…;base64,…` URI is decoded into an `image`
 *   (checked like an uploaded file). Anything else is `text`. `www.x.com/a.jpg`
 *   (no scheme) and `ftp://…` are text. A caller that knows the function's input
 *   type passes `inputKind: "text" | "image" | "tabular"`: "text" never turns a URL
 *   into an image; "image" rejects values that are not image URLs; "tabular" wants
 *   fields (CSV columns, JSONL objects).
 * - Images are recognised by their first bytes only (JPEG, PNG, WebP, GIF), never by
 *   file name or declared type.
 * - Hash (`contentHash`): SHA-256, hex, of `<kind>` + "\n" + the canonical form:
 *   text as stored (trimmed, otherwise exact: case and inner spaces matter to a
 *   model); an image URL as WHATWG `URL.href` (scheme and host lower-cased, default
 *   port dropped); tabular fields as JSON with keys sorted by code unit; an image as
 *   its file bytes. The label is not part of the hash. Within one set the first
 *   occurrence is kept and later ones are dropped and counted (`duplicateRows`
 *   flags a dropped row whose label differs from the kept one).
 * - Row numbers (`sourceRow`, `rejected[].row`) are 1-based line numbers in the file
 *   as an editor shows them (CSV: the line where the record starts, header = line 1
 *   when it is the first line); for images, the position of the file in the upload.
 * - Text is decoded as strict UTF-8 (a UTF-8 BOM is dropped); anything else is
 *   refused with the position of the first bad byte. NUL characters are refused in
 *   any value (PostgreSQL text cannot hold them).
 */
import { CsvParser } from "./csv";
import { parseImageFile, type BlobLike } from "./images";
import { formatBytes, resolveLimits, type SampleLimits } from "./limits";
import { SetBuilder, emptyResult } from "./set-builder";
import { JsonlParser, TextLinesParser, type FileParser } from "./text-parsers";
import type { CsvOptions, CsvParseResult, ImageValue, JsonlOptions, ParseOptions, ParseResult, Sample } from "./types";

export * from "./limits";
export * from "./types";
export { decodeUtf8Strict, type DecodeResult } from "./utf8";
export { sampleBytes, parseCsvNumber } from "./classify";
export {
  IMAGE_SNIFF_BYTES,
  checkImageBytes,
  describeNonImage,
  parseImageFile,
  readStreamAtMost,
  sniffImage,
  type BlobLike,
  type ImageCheck,
  type ImageFileResult,
  type StreamReadResult,
} from "./images";

/** Input already in memory through a streaming parser: one chunk, then the end. */
function runWhole(input: string | Uint8Array, what: string, limits: SampleLimits, set: SetBuilder, parser: FileParser): ParseResult {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  if (bytes.byteLength > limits.setBytes) {
    return emptyResult(`${what} is ${formatBytes(bytes.byteLength)}; a sample set can hold at most ${formatBytes(limits.setBytes)}. Split it into smaller sets.`);
  }
  const error = parser.write(bytes) ?? parser.end();
  return error ? set.fail(error) : set.finish(parser.rows);
}

/**
 * One sample per non-empty line (lines trimmed; CRLF, LF and CR all end a line).
 * Duplicates are dropped and counted. No labels.
 */
export function parseTextLines(input: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const limits = resolveLimits(options.limits);
  const set = new SetBuilder(limits, "The text");
  return runWhole(input, "The text", limits, set, new TextLinesParser(set, "The text", options));
}

/** CSV with a header row (see csv.ts for the rules). */
export function parseCsv(input: string | Uint8Array, options: CsvOptions = {}): CsvParseResult {
  const limits = resolveLimits(options.limits);
  const set = new SetBuilder(limits, "The CSV file");
  const parser = new CsvParser(set, options);
  const result: CsvParseResult = runWhole(input, "The CSV file", limits, set, parser);
  if (parser.columns) result.columns = parser.columns;
  return result;
}

/** One JSON object per line (see text-parsers.ts for the rules). */
export function parseJsonl(input: string | Uint8Array, options: JsonlOptions = {}): ParseResult {
  const limits = resolveLimits(options.limits);
  const set = new SetBuilder(limits, "The JSONL file");
  return runWhole(input, "The JSONL file", limits, set, new JsonlParser(set, options));
}

/**
 * Image files as one set: each checked by `parseImageFile` (size first, then
 * content), rejected ones listed by position and name, duplicates dropped. Files
 * are read one at a time, and reading stops at the first limit the set would break.
 */
export async function parseImages(files: readonly BlobLike[], options: Pick<ParseOptions, "limits"> = {}): Promise<ParseResult> {
  const limits = resolveLimits(options.limits);
  const set = new SetBuilder(limits, "The upload");
  if (files.length === 0) return set.fail("No images were uploaded.");
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as BlobLike;
    const result = await parseImageFile(file, { limits });
    if (!result.ok) {
      set.reject(i + 1, result.reason, file.name);
      continue;
    }
    const value: ImageValue = { mimeType: result.mimeType, bytes: result.bytes };
    if (file.name !== undefined) value.fileName = file.name;
    const sample: Sample = { kind: "image", value, contentHash: result.contentHash, sourceRow: i + 1 };
    if (file.name !== undefined) sample.source = file.name;
    const error = set.add(sample);
    if (error) return set.fail(error);
  }
  return set.finish(files.length);
}

/**
 * Several parsed files as one set (three images and a CSV, say): duplicates across
 * files dropped (the earlier file wins), limits applied to the whole, any file's
 * error refuses the whole set. Rows keep their own numbers; `source` tells files apart.
 */
export function mergeParseResults(results: readonly ParseResult[], options: Pick<ParseOptions, "limits"> = {}): ParseResult {
  const failed = results.find((r) => r.error !== undefined);
  if (failed?.error !== undefined) return emptyResult(failed.error);
  const set = new SetBuilder(resolveLimits(options.limits), "The upload");
  for (const r of results) set.absorb(r);
  for (const r of results) {
    for (const sample of r.samples) {
      const error = set.add(sample);
      if (error) return set.fail(error);
    }
  }
  return set.finish(results.reduce((n, r) => n + r.samples.length + r.rejectedCount + r.duplicates, 0));
}
