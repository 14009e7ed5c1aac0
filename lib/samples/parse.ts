/**
 * Parsing uploaded sample sets (issue 5): text lines, CSV, JSONL and image files.
 *
 * Pure functions: no database, no Next APIs. They turn what a user uploaded into
 * samples, each content-hashed, and say exactly what was refused and why. Bad input
 * never throws: it comes back as `rejected` rows (the rest of the file is fine) or as
 * `error` (the whole upload is refused, and `samples` is then empty, so nothing can
 * be half-saved). Only programming errors (bad options) throw. Uses node:crypto and
 * Buffer, so it runs on the server (a route handler can return the preview).
 *
 * Rules, in one place:
 * - Limits (`SAMPLE_LIMITS`): 10 MB per image, 10,000 samples per set, 200 MB per
 *   set, where MB = 2^20 bytes. A text sample may be 10,000 characters (UTF-16 code
 *   units) and a URL 2,048: Modelpin's limits, not documented Nyckel ones.
 *   The sample count is of accepted samples after dropping duplicates and rejected
 *   rows; the set size is the sum of the samples' own bytes (UTF-8 text, image files,
 *   canonical JSON for tabular rows), and an upload bigger than 200 MB is refused
 *   before it is parsed.
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
import { createHash } from "node:crypto";
import Papa from "papaparse";

const MB = 1024 * 1024;

/** 10 MB per image. */
export const MAX_IMAGE_BYTES = 10 * MB;
/** 10,000 samples per set. */
export const MAX_SAMPLES_PER_SET = 10_000;
/** 200 MB per set. */
export const MAX_SET_BYTES = 200 * MB;
/** Characters in one text sample (or one tabular field). */
export const MAX_TEXT_CHARS = 10_000;
/** Characters in one image URL. */
export const MAX_URL_CHARS = 2_048;
/** Characters in one ground-truth label (labels are names, not documents). */
export const MAX_LABEL_CHARS = 1_000;

export interface SampleLimits {
  imageBytes: number;
  samplesPerSet: number;
  setBytes: number;
  textChars: number;
  urlChars: number;
}

export const SAMPLE_LIMITS: Readonly<SampleLimits> = Object.freeze({
  imageBytes: MAX_IMAGE_BYTES,
  samplesPerSet: MAX_SAMPLES_PER_SET,
  setBytes: MAX_SET_BYTES,
  textChars: MAX_TEXT_CHARS,
  urlChars: MAX_URL_CHARS,
});

/** CSV columns / JSONL fields taken as the data, in order of preference (matched case-insensitively; spaces and dashes count as "_"). */
export const DATA_COLUMN_NAMES = ["data", "text", "input", "url", "image_url", "image"] as const;
/** CSV columns / JSONL fields taken as the ground-truth label, in order of preference. */
export const LABEL_COLUMN_NAMES = ["label", "truth", "ground_truth", "groundtruth", "true_label", "expected", "expected_label"] as const;

export type ImageMimeType = "image/jpeg" | "image/png" | "image/webp" | "image/gif";
export type SampleKind = "text" | "imageUrl" | "tabular" | "image";
export type TabularFields = Record<string, string | number>;
/** What the function takes; "auto" classifies each value by the rules above. */
export type InputKind = "auto" | "text" | "image" | "tabular";

export interface ImageValue {
  mimeType: ImageMimeType;
  bytes: Uint8Array;
  fileName?: string;
}

interface SampleBase {
  /** Ground truth, trimmed; absent when the row has none. */
  label?: string;
  /** SHA-256 hex of the canonical form (see the module comment). */
  contentHash: string;
  /** 1-based line in the file (CSV: where the record starts), or position of an image in the upload. */
  sourceRow: number;
  /** The file it came from, when the caller named it. */
  source?: string;
}

export type Sample = SampleBase &
  (
    | { kind: "text"; value: string }
    | { kind: "imageUrl"; value: string }
    | { kind: "tabular"; value: TabularFields }
    | { kind: "image"; value: ImageValue }
  );

export interface Rejection {
  row: number;
  reason: string;
  source?: string;
}

export interface DuplicateRow {
  row: number;
  /** sourceRow of the sample that was kept. */
  duplicateOf: number;
  source?: string;
  /** The kept sample's file, when it is another file than this row's. */
  duplicateOfSource?: string;
  /** Set when this row's label differs from the kept sample's (the kept one wins). */
  conflictingLabel?: string;
}

export interface ParseResult {
  /** Accepted samples, in file order; empty when `error` is set. */
  samples: Sample[];
  rejected: Rejection[];
  /** Rows dropped because an earlier row had the same content hash. */
  duplicates: number;
  duplicateRows: DuplicateRow[];
  /** Sum of the accepted samples' bytes (see `sampleBytes`). */
  bytes: number;
  /** Set when the whole upload is refused; says what is wrong and what to do. */
  error?: string;
}

export interface CsvColumns {
  /** Header names, trimmed. */
  header: string[];
  delimiter: string;
  /** "data": one column holds each sample; "tabular": the row's fields are the sample. */
  mode: "data" | "tabular";
  dataColumn: string | null;
  labelColumn: string | null;
  /** Columns sent as tabular fields (tabular mode only). */
  tabularColumns: string[];
}

export interface CsvParseResult extends ParseResult {
  /** How the header was understood (absent when the header could not be read). */
  columns?: CsvColumns;
}

export interface ParseOptions {
  /** Default "auto". */
  inputKind?: InputKind;
  /** File name, copied into samples and rejections. */
  source?: string;
  /** Override limits (tests, operators); defaults to SAMPLE_LIMITS. */
  limits?: Partial<SampleLimits>;
}

export interface CsvOptions extends ParseOptions {
  /** Column holding the data; default: the first of DATA_COLUMN_NAMES present, else tabular. */
  dataColumn?: string;
  /** Ground-truth column; default: the first of LABEL_COLUMN_NAMES present. `null`: none. */
  labelColumn?: string | null;
  /** Columns never sent as tabular fields (ids, notes). */
  ignoreColumns?: string[];
  /** Field delimiter; default: the most frequent of , tab ; | in the header line (comma if none). */
  delimiter?: string;
}

export interface JsonlOptions extends ParseOptions {
  /** Field holding the data; default: the first of DATA_COLUMN_NAMES present in each object. */
  dataField?: string;
  /** Ground-truth field; default: the first of LABEL_COLUMN_NAMES present. `null`: none. */
  labelField?: string | null;
}

// ---------------------------------------------------------------------------
// Small helpers

/** "512 bytes", "12.5 KB", "10 MB", "50.3 MB" (binary units, as the limits). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  const [value, unit] = bytes < MB ? [bytes / 1024, "KB"] : [bytes / MB, "MB"];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

const count = (n: number): string => n.toLocaleString("en-US");

function sha256Hex(kind: SampleKind, payload: string | Uint8Array): string {
  return createHash("sha256").update(`${kind}\n`).update(payload).digest("hex");
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function resolveLimits(options: ParseOptions): SampleLimits {
  return { ...SAMPLE_LIMITS, ...options.limits };
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

function emptyResult(error: string, partial?: Pick<ParseResult, "rejected" | "duplicateRows">): ParseResult {
  const rejected = partial?.rejected ?? [];
  const duplicateRows = partial?.duplicateRows ?? [];
  return { samples: [], rejected, duplicates: duplicateRows.length, duplicateRows, bytes: 0, error };
}

// ---------------------------------------------------------------------------
// UTF-8

export type DecodeResult = { ok: true; text: string } | { ok: false; error: string };

/** Offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  const cont = (i: number, lo = 0x80, hi = 0xbf) => i < n && (bytes[i] as number) >= lo && (bytes[i] as number) <= hi;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) i += 1;
    else if (b >= 0xc2 && b <= 0xdf && cont(i + 1)) i += 2;
    else if (b === 0xe0 && cont(i + 1, 0xa0) && cont(i + 2)) i += 3;
    else if (((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) && cont(i + 1) && cont(i + 2)) i += 3;
    else if (b === 0xed && cont(i + 1, 0x80, 0x9f) && cont(i + 2)) i += 3;
    else if (b === 0xf0 && cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3)) i += 4;
    else if (b >= 0xf1 && b <= 0xf3 && cont(i + 1) && cont(i + 2) && cont(i + 3)) i += 4;
    else if (b === 0xf4 && cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3)) i += 4;
    else return i;
  }
  return -1;
}

/**
 * Decodes UTF-8, refusing anything that is not (TextDecoder with `fatal: true`). A
 * UTF-8 BOM is dropped. The message names the first bad byte and its line, and
 * recognises UTF-16 (what Excel's "Unicode text" writes).
 */
export function decodeUtf8Strict(bytes: Uint8Array): DecodeResult {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return { ok: false, error: "The file is UTF-16 text, not UTF-8. Save it as UTF-8 (in Excel: \"CSV UTF-8\") and upload it again." };
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const hex = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    return {
      ok: false,
      error: `The file is not valid UTF-8: byte 0x${hex} on line ${line} (byte ${offset + 1}) is not part of a UTF-8 character. Save the file as UTF-8 and upload it again.`,
    };
  }
}

/** Bytes or text → text within the set limit, with the BOM dropped; or an error. */
function readInput(input: string | Uint8Array, what: string, limits: SampleLimits): DecodeResult {
  const size = typeof input === "string" ? utf8Length(input) : input.byteLength;
  if (size > limits.setBytes) {
    return { ok: false, error: `${what} is ${formatBytes(size)}; a sample set can hold at most ${formatBytes(limits.setBytes)}. Split it into smaller sets.` };
  }
  if (typeof input === "string") return { ok: true, text: input.replace(/^\uFEFF/, "") };
  const image = sniffImage(input);
  if (image) return { ok: false, error: `${what} is a ${IMAGE_NAMES[image]} image, not text. Upload images as images.` };
  return decodeUtf8Strict(input);
}

// ---------------------------------------------------------------------------
// Images

const IMAGE_NAMES: Record<ImageMimeType, string> = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF" };

/** How many leading bytes `sniffImage` and `describeNonImage` look at. */
export const IMAGE_SNIFF_BYTES = 512;

function startsWith(bytes: Uint8Array, signature: ReadonlyArray<number>, at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((b, i) => bytes[at + i] === b);
}

const ascii = (text: string): number[] => [...text].map((ch) => ch.charCodeAt(0));

/**
 * The image type from the first bytes ("magic numbers"), never from a file name:
 * JPEG FF D8 FF; PNG 89 "PNG" 0D 0A 1A 0A; GIF "GIF87a"/"GIF89a"; WebP "RIFF" ….
 * "WEBP". Anything else (including HTML renamed .jpg) → null.
 */
export function sniffImage(bytes: Uint8Array): ImageMimeType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return null;
}

/** What a non-image file looks like, for the rejection message ("an HTML page"). */
export function describeNonImage(bytes: Uint8Array): string {
  if (bytes.length === 0) return "empty";
  if (startsWith(bytes, ascii("%PDF-"))) return "a PDF document";
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (or an Office document)";
  if (startsWith(bytes, ascii("BM"))) return "a BMP image, which is not supported";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "a TIFF image, which is not supported";
  if (startsWith(bytes, ascii("ftyp"), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (/^(heic|heix|hevc|mif1|msf1)$/.test(brand)) return "a HEIC image, which is not supported";
    if (brand === "avif") return "an AVIF image, which is not supported";
    return "a video file";
  }
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, IMAGE_SNIFF_BYTES)).replace(/^\uFEFF/, "").trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body|meta|script|!--)/.test(head)) return "an HTML page";
  if (head.includes("<svg")) return "an SVG image, which is not supported";
  if (head.startsWith("<")) return "an XML or HTML document";
  if (firstInvalidUtf8(bytes.subarray(0, Math.min(bytes.length, IMAGE_SNIFF_BYTES - 4))) === -1) return "a text file";
  return "not a JPEG, PNG, WebP or GIF image";
}

const ACCEPTED_IMAGES = "Only JPEG, PNG, WebP and GIF images are accepted, recognised by their content, not their file name.";

function quoteName(fileName: string | undefined): string {
  return fileName ? `"${fileName}"` : "The image";
}

export type ImageCheck = { ok: true; mimeType: ImageMimeType } | { ok: false; reason: string };

/** Size and content check of image bytes already in memory (e.g. a decoded data URI). */
export function checkImageBytes(bytes: Uint8Array, fileName?: string, limits: Partial<SampleLimits> = {}): ImageCheck {
  const max = limits.imageBytes ?? MAX_IMAGE_BYTES;
  if (bytes.length === 0) return { ok: false, reason: `${quoteName(fileName)} is empty.` };
  if (bytes.length > max) return { ok: false, reason: `${quoteName(fileName)} is ${formatBytes(bytes.length)}; an image can be at most ${formatBytes(max)}.` };
  const mimeType = sniffImage(bytes);
  if (mimeType) return { ok: true, mimeType };
  const what = describeNonImage(bytes);
  return { ok: false, reason: `${quoteName(fileName)} is ${what === "empty" ? "empty" : what}, not an image. ${ACCEPTED_IMAGES}` };
}

/** What `parseImageFile` needs: a `Blob`/`File` fits. */
export interface BlobLike {
  readonly size: number;
  readonly name?: string;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type ImageFileResult = { ok: true; mimeType: ImageMimeType; bytes: Uint8Array; contentHash: string } | { ok: false; reason: string };

/**
 * Checks one uploaded file: the declared size first (a 50 MB file is refused without
 * reading a byte), then the first IMAGE_SNIFF_BYTES bytes, and only then the whole
 * file, whose length is checked again.
 */
export async function parseImageFile(file: BlobLike, options: Pick<ParseOptions, "limits"> = {}): Promise<ImageFileResult> {
  const max = options.limits?.imageBytes ?? MAX_IMAGE_BYTES;
  if (file.size === 0) return { ok: false, reason: `${quoteName(file.name)} is empty.` };
  if (file.size > max) return { ok: false, reason: `${quoteName(file.name)} is ${formatBytes(file.size)}; an image can be at most ${formatBytes(max)}.` };
  const head = new Uint8Array(await file.slice(0, IMAGE_SNIFF_BYTES).arrayBuffer());
  const headCheck = checkImageBytes(head, file.name, { imageBytes: max });
  if (!headCheck.ok) return headCheck;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const check = checkImageBytes(bytes, file.name, { imageBytes: max });
  if (!check.ok) return check;
  return { ok: true, mimeType: check.mimeType, bytes, contentHash: sha256Hex("image", bytes) };
}

export type StreamReadResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string; bytesRead: number };

/**
 * Reads a stream (a request body, a file stream) into memory but stops, and cancels
 * the stream, as soon as more than `maxBytes` arrived: an oversized upload gets a
 * clear message without being read to the end.
 */
export async function readStreamAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number, what = "The upload"): Promise<StreamReadResult> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel("size limit exceeded").catch(() => undefined);
      return { ok: false, reason: `${what} is larger than ${formatBytes(maxBytes)}, the limit.`, bytesRead: total };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, bytes };
}

// ---------------------------------------------------------------------------
// Building a set: dedupe and limits

/** A sample's own size: UTF-8 bytes of text / URL / canonical JSON, or the image's bytes. */
export function sampleBytes(sample: Sample): number {
  switch (sample.kind) {
    case "image":
      return sample.value.bytes.byteLength;
    case "tabular":
      return utf8Length(canonicalFields(sample.value));
    default:
      return utf8Length(sample.value);
  }
}

class SetBuilder {
  readonly samples: Sample[] = [];
  readonly rejected: Rejection[] = [];
  readonly duplicateRows: DuplicateRow[] = [];
  bytes = 0;
  private readonly seen = new Map<string, Sample>();

  constructor(
    private readonly limits: SampleLimits,
    private readonly what: string,
  ) {}

  reject(row: number, reason: string, source?: string): void {
    this.rejected.push(source === undefined ? { row, reason } : { row, reason, source });
  }

  /** Adds a sample unless it is a duplicate; returns an error message when the set would break a limit. */
  add(sample: Sample): string | null {
    const kept = this.seen.get(sample.contentHash);
    if (kept) {
      const dup: DuplicateRow = { row: sample.sourceRow, duplicateOf: kept.sourceRow };
      if (sample.source !== undefined) dup.source = sample.source;
      if (kept.source !== undefined && kept.source !== sample.source) dup.duplicateOfSource = kept.source;
      if (sample.label !== kept.label && sample.label !== undefined) dup.conflictingLabel = sample.label;
      this.duplicateRows.push(dup);
      return null;
    }
    if (this.samples.length >= this.limits.samplesPerSet) {
      return `${this.what} has more than ${count(this.limits.samplesPerSet)} samples; a sample set holds at most ${count(this.limits.samplesPerSet)}. Split it into smaller sets.`;
    }
    const size = sampleBytes(sample);
    if (this.bytes + size > this.limits.setBytes) {
      return `${this.what} adds up to more than ${formatBytes(this.limits.setBytes)}; a sample set can hold at most ${formatBytes(this.limits.setBytes)}. Split it into smaller sets.`;
    }
    this.seen.set(sample.contentHash, sample);
    this.samples.push(sample);
    this.bytes += size;
    return null;
  }

  result(): ParseResult {
    return { samples: this.samples, rejected: this.rejected, duplicates: this.duplicateRows.length, duplicateRows: this.duplicateRows, bytes: this.bytes };
  }

  fail(error: string): ParseResult {
    return emptyResult(error, this);
  }

  /** An upload with no usable sample cannot be saved either. */
  finish(rows: number): ParseResult {
    if (this.samples.length === 0) {
      return this.fail(rows === 0 ? `${this.what} has no samples.` : `${this.what} has no usable samples: ${rows === 1 ? "its only row was" : `all ${count(rows)} rows were`} rejected.`);
    }
    return this.result();
  }
}

// ---------------------------------------------------------------------------
// Classifying one value

type Classified =
  | { ok: true; kind: "text" | "imageUrl"; value: string; hash: string }
  | { ok: true; kind: "image"; value: ImageValue; hash: string }
  | { ok: true; kind: "tabular"; value: TabularFields; hash: string }
  | { ok: false; reason: string };

const HTTP_URL = /^https?:\/\/\S+$/i;
const DATA_URI = /^data:(image\/[a-z0-9.+-]+)?((?:;[^,;]*)*?);base64,(.*)$/is;
const KIND_NAMES: Record<InputKind, string> = { auto: "a sample", text: "text", image: "an image URL", tabular: "tabular fields" };

function tooLong(what: string, length: number, max: number): string {
  return `${what} is too long: ${count(length)} characters; the limit is ${count(max)}.`;
}

function parseHttpUrl(value: string): URL | null {
  if (!HTTP_URL.test(value)) return null;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" ? url : null;
  } catch {
    return null;
  }
}

function classifyDataUri(value: string, limits: SampleLimits): Classified | null {
  const match = DATA_URI.exec(value);
  if (!match) return null;
  const payload = (match[3] ?? "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) return { ok: false, reason: "The data URI is not valid base64." };
  const size = Math.floor((payload.length * 3) / 4) - (payload.endsWith("==") ? 2 : payload.endsWith("=") ? 1 : 0);
  if (size > limits.imageBytes) return { ok: false, reason: `The image in the data URI is ${formatBytes(size)}; an image can be at most ${formatBytes(limits.imageBytes)}.` };
  const bytes = new Uint8Array(Buffer.from(payload, "base64"));
  const check = checkImageBytes(bytes, undefined, limits);
  if (!check.ok) return { ok: false, reason: check.reason.replace(/^The image/, "The data URI") };
  return { ok: true, kind: "image", value: { mimeType: check.mimeType, bytes }, hash: sha256Hex("image", bytes) };
}

/** One data value (a CSV cell, a JSONL string, a text line), already trimmed. */
function classifyString(value: string, inputKind: InputKind, limits: SampleLimits): Classified {
  if (value === "") return { ok: false, reason: "Empty data." };
  if (value.includes("\u0000")) return { ok: false, reason: "The data contains a NUL character (is it binary?)." };
  if (inputKind === "tabular") return { ok: false, reason: "Expected tabular fields, got a single value." };
  if (inputKind !== "text") {
    if (/^data:/i.test(value)) {
      const image = classifyDataUri(value, limits);
      if (image) return image;
      if (inputKind === "image") return { ok: false, reason: "The data URI is not a base64 image (expected data:image/…;base64,…)." };
    }
    const url = parseHttpUrl(value);
    if (url) {
      if (value.length > limits.urlChars) return { ok: false, reason: tooLong("The URL", value.length, limits.urlChars) };
      return { ok: true, kind: "imageUrl", value, hash: sha256Hex("imageUrl", url.href) };
    }
    if (inputKind === "image") return { ok: false, reason: "Not an image URL: expected an http:// or https:// address or a data:image URI." };
  }
  if (value.length > limits.textChars) return { ok: false, reason: tooLong("The text", value.length, limits.textChars) };
  return { ok: true, kind: "text", value, hash: sha256Hex("text", value) };
}

/** JSON with keys sorted by code unit: the canonical form of tabular fields. */
function canonicalFields(fields: TabularFields): string {
  const keys = Object.keys(fields).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(fields[k])}`).join(",")}}`;
}

function classifyFields(entries: ReadonlyArray<[string, string | number]>, inputKind: InputKind, limits: SampleLimits): Classified {
  if (inputKind === "text" || inputKind === "image") return { ok: false, reason: `Expected ${KIND_NAMES[inputKind]}, got tabular fields.` };
  for (const [name, value] of entries) {
    if (typeof value !== "string") continue;
    if (value.includes("\u0000")) return { ok: false, reason: `Field "${name}" contains a NUL character (is it binary?).` };
    if (value.length > limits.textChars) return { ok: false, reason: tooLong(`Field "${name}"`, value.length, limits.textChars) };
  }
  if (entries.length === 0) return { ok: false, reason: "Empty data: every field is empty." };
  // fromEntries defines own properties, so a column named "__proto__" stays a field.
  const value = Object.fromEntries(entries) as TabularFields;
  return { ok: true, kind: "tabular", value, hash: sha256Hex("tabular", canonicalFields(value)) };
}

function toSample(c: Extract<Classified, { ok: true }>, sourceRow: number, label: string | undefined, source: string | undefined): Sample {
  const base: SampleBase = { contentHash: c.hash, sourceRow };
  if (label !== undefined) base.label = label;
  if (source !== undefined) base.source = source;
  switch (c.kind) {
    case "image":
      return { ...base, kind: "image", value: c.value };
    case "tabular":
      return { ...base, kind: "tabular", value: c.value };
    default:
      return { ...base, kind: c.kind, value: c.value };
  }
}

/**
 * A CSV cell as a tabular value: a plain decimal number becomes a number; anything
 * else stays a string. Kept as strings on purpose: "007" and "+1 555…" style values
 * with a leading zero (codes, zip codes), integers beyond 2^53 (ids), "1,000",
 * "0x1F", "Infinity" and "NaN".
 */
export function parseCsvNumber(cell: string): string | number {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(cell)) return cell;
  if (/^[+-]?0\d/.test(cell)) return cell;
  const n = Number(cell);
  if (!Number.isFinite(n)) return cell;
  if (/^[+-]?\d+$/.test(cell) && !Number.isSafeInteger(n)) return cell;
  return n;
}

function cleanLabel(raw: string | undefined): { ok: true; label: string | undefined } | { ok: false; reason: string } {
  const label = raw?.trim();
  if (!label) return { ok: true, label: undefined };
  if (label.includes("\u0000")) return { ok: false, reason: "The label contains a NUL character." };
  if (label.length > MAX_LABEL_CHARS) return { ok: false, reason: tooLong("The label", label.length, MAX_LABEL_CHARS) };
  return { ok: true, label };
}

// ---------------------------------------------------------------------------
// Text lines

/**
 * One sample per non-empty line (lines trimmed; CRLF, LF and CR all end a line).
 * Duplicates are dropped and counted. No labels.
 */
export function parseTextLines(input: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const limits = resolveLimits(options);
  const inputKind = options.inputKind ?? "auto";
  const decoded = readInput(input, "The text", limits);
  if (!decoded.ok) return emptyResult(decoded.error);
  const set = new SetBuilder(limits, "The text");
  if (inputKind === "tabular") return set.fail("Text lines cannot hold tabular samples; upload a CSV or JSONL file.");
  const lines = decoded.text.split(/\r\n|\n|\r/);
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    rows++;
    const c = classifyString(line, inputKind, limits);
    if (!c.ok) {
      set.reject(i + 1, c.reason, options.source);
      continue;
    }
    const error = set.add(toSample(c, i + 1, undefined, options.source));
    if (error) return set.fail(error);
  }
  if (rows === 0) return set.fail("The text is empty: put one sample per line.");
  return set.finish(rows);
}

// ---------------------------------------------------------------------------
// CSV

function guessDelimiter(text: string): string {
  const firstLine = text.split(/\r\n|\n|\r/).find((line) => line.trim() !== "") ?? "";
  let best = ",";
  let bestCount = 0;
  for (const d of [",", "\t", ";", "|"]) {
    const n = firstLine.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

function findColumn(header: readonly string[], wanted: string): number {
  const exact = header.indexOf(wanted);
  if (exact >= 0) return exact;
  const norm = normalizeName(wanted);
  return header.findIndex((h) => normalizeName(h) === norm);
}

function findCandidate(names: readonly string[], candidates: readonly string[]): number {
  for (const candidate of candidates) {
    const i = names.findIndex((h) => normalizeName(h) === candidate);
    if (i >= 0) return i;
  }
  return -1;
}

const listNames = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(", ");

function quoteErrorReason(errors: readonly Papa.ParseError[]): string {
  if (errors.some((e) => e.code === "MissingQuotes")) {
    return "Malformed row: a quoted field is never closed, so the rest of the file was read as part of this row.";
  }
  return `Malformed row: ${errors[0]?.message ?? "unreadable quotes"}.`;
}

/** Counts line breaks in text[from, to) incrementally (for 1-based line numbers). */
class LineCounter {
  private pos = 0;
  private line = 1;
  constructor(
    private readonly text: string,
    private readonly newline: string,
  ) {}
  lineAt(offset: number): number {
    let at = this.text.indexOf(this.newline, this.pos);
    while (at !== -1 && at < offset) {
      this.line++;
      at = this.text.indexOf(this.newline, at + this.newline.length);
    }
    this.pos = Math.max(this.pos, offset);
    return this.line;
  }
}

/**
 * CSV with a header row, parsed with papaparse.
 *
 * Columns: `dataColumn` / `labelColumn` when given (an unknown name is an error);
 * otherwise the first header matching DATA_COLUMN_NAMES is the data and the first
 * matching LABEL_COLUMN_NAMES the ground truth. Without a data column, two or more
 * other columns make a tabular CSV: every column except the label, ignored ones and
 * unnamed ones is a field (empty cells are left out; numbers per `parseCsvNumber`).
 * `inputKind: "tabular"` forces tabular even when a "text" column exists.
 *
 * Rows: blank lines are skipped; a row with a different number of fields than the
 * header, or with broken quotes, is rejected as malformed; an empty data cell and a
 * too-long value are rejected; everything else is classified like any value.
 *
 * Refused as a whole (`error`): empty file, header without rows, no data column,
 * duplicate column names, more samples than the set limit, invalid UTF-8.
 */
export function parseCsv(input: string | Uint8Array, options: CsvOptions = {}): CsvParseResult {
  const limits = resolveLimits(options);
  const inputKind = options.inputKind ?? "auto";
  const decoded = readInput(input, "The CSV file", limits);
  if (!decoded.ok) return emptyResult(decoded.error);
  const text = decoded.text;
  const emptyFile = "The CSV file is empty: it needs a header row and at least one data row.";
  if (text.trim() === "") return emptyResult(emptyFile);
  if (options.delimiter !== undefined && options.delimiter.length === 0) throw new RangeError("delimiter must not be empty.");
  const delimiter = options.delimiter ?? guessDelimiter(text);

  const set = new SetBuilder(limits, "The CSV file");
  // Written by the papaparse callback, so kept in one object TypeScript does not narrow.
  const state: {
    header: string[] | null;
    columns: CsvColumns | null;
    /** Positions of the data, label and tabular columns in the header. */
    dataIndex: number;
    labelIndex: number;
    tabularIndexes: number[];
    fatal: string | null;
    rows: number;
    rowStart: number;
    lines: LineCounter | null;
  } = { header: null, columns: null, dataIndex: -1, labelIndex: -1, tabularIndexes: [], fatal: null, rows: 0, rowStart: 0, lines: null };

  Papa.parse<string[]>(text, {
    delimiter,
    header: false,
    skipEmptyLines: false,
    step(step, parser) {
      const start = state.rowStart;
      state.rowStart = step.meta.cursor;
      state.lines ??= new LineCounter(text, step.meta.linebreak === "\r" ? "\r" : "\n");
      const line = state.lines.lineAt(start);
      const record = step.data;
      const quoteErrors = step.errors.filter((e) => e.type === "Quotes");
      if (quoteErrors.length === 0 && record.every((cell) => cell.trim() === "")) return;
      const stop = (error: string) => {
        state.fatal = error;
        parser.abort();
      };

      if (state.header === null) {
        state.header = record.map((name) => name.trim());
        if (quoteErrors.length > 0) return stop(`The CSV header (line ${line}) is malformed: ${quoteErrors[0]?.message}.`);
        const columns = resolveCsvColumns(state.header, delimiter, options);
        if (typeof columns === "string") return stop(columns);
        state.columns = columns;
        const at = (name: string | null) => (name === null ? -1 : (state.header as string[]).indexOf(name));
        state.dataIndex = at(columns.dataColumn);
        state.labelIndex = at(columns.labelColumn);
        state.tabularIndexes = columns.tabularColumns.map(at);
        return;
      }
      const header = state.header;

      state.rows++;
      if (quoteErrors.length > 0) return set.reject(line, quoteErrorReason(quoteErrors), options.source);
      if (record.length !== header.length) {
        const sep = delimiter === "\t" ? "tabs" : `"${delimiter}"`;
        return set.reject(line, `Malformed row: ${record.length} field${record.length === 1 ? "" : "s"}, but the header has ${header.length}. Quote values that contain ${sep}.`, options.source);
      }
      const label = state.labelIndex >= 0 ? cleanLabel(record[state.labelIndex]) : ({ ok: true, label: undefined } as const);
      if (!label.ok) return set.reject(line, label.reason, options.source);
      let c: Classified;
      if (state.dataIndex >= 0) {
        c = classifyString((record[state.dataIndex] as string).trim(), inputKind, limits);
      } else {
        const entries: Array<[string, string | number]> = [];
        for (const i of state.tabularIndexes) {
          const cell = (record[i] as string).trim();
          if (cell !== "") entries.push([header[i] as string, parseCsvNumber(cell)]);
        }
        c = classifyFields(entries, inputKind, limits);
      }
      if (!c.ok) return set.reject(line, c.reason, options.source);
      const error = set.add(toSample(c, line, label.label, options.source));
      if (error) stop(error);
    },
  });

  const columns = state.columns;
  const withColumns = (r: ParseResult): CsvParseResult => (columns ? { ...r, columns } : r);
  if (state.fatal !== null) return withColumns(set.fail(state.fatal));
  if (state.header === null) return emptyResult(emptyFile);
  if (state.rows === 0) return withColumns(set.fail("The CSV file has a header row but no data rows."));
  return withColumns(set.finish(state.rows));
}

/** How the header is understood (see `parseCsv`), or an error message. */
function resolveCsvColumns(names: string[], delimiter: string, options: CsvOptions): CsvColumns | string {
  const inputKind = options.inputKind ?? "auto";
  const seen = new Set<string>();
  for (const name of names) {
    if (name !== "" && seen.has(name)) return `The CSV header names the column "${name}" twice; column names must be unique.`;
    seen.add(name);
  }
  let labelIndex = -1;
  if (options.labelColumn) {
    labelIndex = findColumn(names, options.labelColumn);
    if (labelIndex < 0) return `The CSV file has no column "${options.labelColumn}" for the label (columns: ${listNames(names)}).`;
  } else if (options.labelColumn === undefined) {
    labelIndex = findCandidate(names, LABEL_COLUMN_NAMES);
  }
  let dataIndex = -1;
  if (options.dataColumn !== undefined) {
    dataIndex = findColumn(names, options.dataColumn);
    if (dataIndex < 0) return `The CSV file has no column "${options.dataColumn}" for the data (columns: ${listNames(names)}).`;
    if (dataIndex === labelIndex) return `The column "${names[dataIndex]}" cannot be both the data and the label.`;
  } else if (inputKind !== "tabular") {
    dataIndex = findCandidate(
      names.map((n, i) => (i === labelIndex ? "" : n)),
      DATA_COLUMN_NAMES,
    );
  }
  const label = labelIndex >= 0 ? (names[labelIndex] as string) : null;
  if (dataIndex >= 0) return { header: names, delimiter, mode: "data", dataColumn: names[dataIndex] as string, labelColumn: label, tabularColumns: [] };

  const ignored = new Set((options.ignoreColumns ?? []).map(normalizeName));
  const tabularColumns = names.filter((name, i) => i !== labelIndex && name !== "" && !ignored.has(normalizeName(name)));
  const tabularAllowed = inputKind === "auto" || inputKind === "tabular";
  if (!tabularAllowed || tabularColumns.length < (inputKind === "tabular" ? 1 : 2)) {
    const expected = DATA_COLUMN_NAMES.map((n) => `"${n}"`).join(", ").replace(/, ([^,]*)$/, " or $1");
    return `The CSV file has no data column: name the column that holds the samples ${expected}, or choose it (found: ${listNames(names)}).`;
  }
  return { header: names, delimiter, mode: "tabular", dataColumn: null, labelColumn: label, tabularColumns };
}

// ---------------------------------------------------------------------------
// JSONL

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function describeJson(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function findField(obj: Record<string, JsonValue>, wanted: string | undefined, candidates: readonly string[]): string | null {
  const keys = Object.keys(obj);
  if (wanted !== undefined) {
    if (Object.hasOwn(obj, wanted)) return wanted;
    const norm = normalizeName(wanted);
    return keys.find((k) => normalizeName(k) === norm) ?? null;
  }
  for (const candidate of candidates) {
    const key = keys.find((k) => normalizeName(k) === candidate);
    if (key !== undefined) return key;
  }
  return null;
}

function jsonFields(data: Record<string, JsonValue>): { ok: true; entries: Array<[string, string | number]> } | { ok: false; reason: string } {
  const entries: Array<[string, string | number]> = [];
  for (const [name, value] of Object.entries(data)) {
    if (value === null) continue;
    if (typeof value === "number") entries.push([name, value]);
    else if (typeof value === "string") {
      if (value.trim() !== "") entries.push([name, value.trim()]);
    } else return { ok: false, reason: `Field "${name}" is ${describeJson(value)}; tabular fields must be strings or numbers.` };
  }
  return { ok: true, entries };
}

/**
 * One JSON object per line: `{"data": "…" | {…fields}, "label": "…"}`. The data
 * field is `dataField` or the first of DATA_COLUMN_NAMES present (per line); a
 * string is classified like any value, an object is tabular fields (strings and
 * numbers as typed, null and empty strings left out, nested values rejected). The
 * label (a string or number; null or "" = none) is `labelField` or the first of
 * LABEL_COLUMN_NAMES present. Blank lines are skipped; a line that is not JSON, not
 * an object, or has no data field is rejected with its line number.
 */
export function parseJsonl(input: string | Uint8Array, options: JsonlOptions = {}): ParseResult {
  const limits = resolveLimits(options);
  const inputKind = options.inputKind ?? "auto";
  const decoded = readInput(input, "The JSONL file", limits);
  if (!decoded.ok) return emptyResult(decoded.error);
  const set = new SetBuilder(limits, "The JSONL file");
  const lines = decoded.text.split(/\r?\n/);
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const row = i + 1;
    if (line === "") continue;
    rows++;
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(line) as JsonValue;
    } catch (e) {
      set.reject(row, `Not valid JSON: ${e instanceof Error ? e.message : String(e)}`, options.source);
      continue;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      set.reject(row, `Expected a JSON object, got ${describeJson(parsed)}.`, options.source);
      continue;
    }
    const dataKey = findField(parsed, options.dataField, DATA_COLUMN_NAMES);
    if (dataKey === null) {
      const expected = options.dataField !== undefined ? `"${options.dataField}"` : DATA_COLUMN_NAMES.map((n) => `"${n}"`).join(", ");
      set.reject(row, `No data field: expected ${options.dataField !== undefined ? "" : "one of "}${expected}.`, options.source);
      continue;
    }
    const labelKey = options.labelField === null ? null : findField(parsed, options.labelField ?? undefined, LABEL_COLUMN_NAMES);
    const rawLabel = labelKey === null || labelKey === dataKey ? null : (parsed[labelKey] ?? null);
    if (rawLabel !== null && typeof rawLabel !== "string" && typeof rawLabel !== "number") {
      set.reject(row, `The label is ${describeJson(rawLabel)}; it must be a string.`, options.source);
      continue;
    }
    const label = cleanLabel(rawLabel === null ? undefined : String(rawLabel));
    if (!label.ok) {
      set.reject(row, label.reason, options.source);
      continue;
    }
    const data = parsed[dataKey] as JsonValue;
    let c: Classified;
    if (typeof data === "string") c = classifyString(data.trim(), inputKind, limits);
    else if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      const fields = jsonFields(data);
      c = fields.ok ? classifyFields(fields.entries, inputKind, limits) : { ok: false, reason: fields.reason };
    } else c = { ok: false, reason: `"${dataKey}" is ${describeJson(data)}; it must be a string (text or image URL) or an object (tabular fields).` };
    if (!c.ok) {
      set.reject(row, c.reason, options.source);
      continue;
    }
    const error = set.add(toSample(c, row, label.label, options.source));
    if (error) return set.fail(error);
  }
  if (rows === 0) return set.fail("The JSONL file is empty: put one JSON object per line.");
  return set.finish(rows);
}

// ---------------------------------------------------------------------------
// Image files

/**
 * Image files as one set: each checked by `parseImageFile` (size first, then
 * content), rejected ones listed by position and name, duplicates dropped. Files
 * are read one at a time, and reading stops at the first limit the set would break.
 */
export async function parseImages(files: readonly BlobLike[], options: Pick<ParseOptions, "limits"> = {}): Promise<ParseResult> {
  const limits = resolveLimits(options);
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
  const set = new SetBuilder(resolveLimits(options), "The upload");
  for (const r of results) {
    set.rejected.push(...r.rejected);
    set.duplicateRows.push(...r.duplicateRows);
  }
  for (const r of results) {
    for (const sample of r.samples) {
      const error = set.add(sample);
      if (error) return set.fail(error);
    }
  }
  return set.finish(results.reduce((n, r) => n + r.samples.length + r.rejected.length + r.duplicates, 0));
}
