/**
 * Classifying one value and hashing it (the rules are in parse.ts's module comment).
 * Pure functions: no I/O.
 */
import { sha256Hex } from "./hash";
import { checkImageBytes } from "./images";
import { MAX_LABEL_CHARS, count, formatBytes, type SampleLimits } from "./limits";
import type { ImageValue, InputKind, Sample, SampleBase, TabularFields } from "./types";


export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

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

export type Classified =
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
export function classifyString(value: string, inputKind: InputKind, limits: SampleLimits): Classified {
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
export function canonicalFields(fields: TabularFields): string {
  const keys = Object.keys(fields).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(fields[k])}`).join(",")}}`;
}

export function classifyFields(entries: ReadonlyArray<[string, string | number]>, inputKind: InputKind, limits: SampleLimits): Classified {
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

export function toSample(c: Extract<Classified, { ok: true }>, sourceRow: number, label: string | undefined, source: string | undefined): Sample {
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

export function cleanLabel(raw: string | undefined): { ok: true; label: string | undefined } | { ok: false; reason: string } {
  const label = raw?.trim();
  if (!label) return { ok: true, label: undefined };
  if (label.includes("\u0000")) return { ok: false, reason: "The label contains a NUL character." };
  if (label.length > MAX_LABEL_CHARS) return { ok: false, reason: tooLong("The label", label.length, MAX_LABEL_CHARS) };
  return { ok: true, label };
}

/**
 * A copy of a string that does not keep the string it was cut from alive (V8 "sliced
 * strings" do): what a parser keeps past one chunk must not pin the whole chunk.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}

const MEMO_CHARS = 256;
const MEMO_ENTRIES = 10_000;

/**
 * Classifies values, remembering the result for short accepted values (at most
 * 10,000 of ≤ 256 characters, ~5 MB): 190 MB of one repeated line is hashed once.
 */
export class ClassifyMemo {
  private readonly memo = new Map<string, Classified>();

  constructor(
    private readonly inputKind: InputKind,
    private readonly limits: SampleLimits,
  ) {}

  classify(value: string): Classified {
    if (value.length > MEMO_CHARS) return classifyString(value, this.inputKind, this.limits);
    const hit = this.memo.get(value);
    if (hit) return hit;
    const c = classifyString(value, this.inputKind, this.limits);
    if (c.ok && c.kind !== "image" && this.memo.size < MEMO_ENTRIES) {
      const key = detach(value);
      this.memo.set(key, { ...c, value: key } as Classified);
    }
    return c;
  }
}
