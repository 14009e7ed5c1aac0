/**
 * Streaming parsers for text files: bytes in chunks → strict UTF-8 → lines → rows of a
 * SetBuilder. Nothing holds a whole file: a chunk is decoded, split into lines, and
 * each line is classified and dropped (or handed to the builder); a line longer than
 * MAX_LINE_CHARS is rejected and skipped without being kept. Each `write` works on
 * one chunk synchronously (the caller yields between chunks).
 */
import { ClassifyMemo, cleanLabel, classifyFields, normalizeName, type Classified } from "./classify";
import { IMAGE_NAMES, sniffImage } from "./images";
import { MAX_LINE_CHARS, formatBytes, resolveLimits, type SampleLimits } from "./limits";
import type { SetBuilder } from "./set-builder";
import { DATA_COLUMN_NAMES, LABEL_COLUMN_NAMES, type InputKind, type JsonlOptions, type ParseOptions } from "./types";
import { StrictUtf8Decoder } from "./utf8";

/** One file of an upload being parsed. Errors returned refuse the whole upload. */
export interface FileParser {
  write(chunk: Uint8Array): string | null;
  end(): string | null;
  /** Non-blank rows seen. */
  readonly rows: number;
}

export const OVERLONG_LINE = `The line is longer than ${formatBytes(MAX_LINE_CHARS)}; it was skipped.`;

/** Decoding and the "this is an image, not text" check shared by every text format. */
export abstract class TextFileParser implements FileParser {
  rows = 0;
  protected readonly limits: SampleLimits;
  protected readonly inputKind: InputKind;
  protected readonly memo: ClassifyMemo;
  private readonly decoder = new StrictUtf8Decoder();
  private sniffed = false;
  private failed: string | null = null;

  constructor(
    protected readonly set: SetBuilder,
    protected readonly what: string,
    protected readonly options: ParseOptions,
  ) {
    this.limits = resolveLimits(options.limits);
    this.inputKind = options.inputKind ?? "auto";
    this.memo = new ClassifyMemo(this.inputKind, this.limits);
  }

  write(chunk: Uint8Array): string | null {
    if (this.failed) return this.failed;
    if (!this.sniffed && chunk.length > 0) {
      this.sniffed = true;
      const image = sniffImage(chunk);
      if (image) return (this.failed = `${this.what} is a ${IMAGE_NAMES[image]} image, not text. Upload images as images.`);
    }
    const decoded = this.decoder.write(chunk);
    if (!decoded.ok) return (this.failed = decoded.error);
    return (this.failed = this.text(decoded.text));
  }

  end(): string | null {
    if (this.failed) return this.failed;
    const decoded = this.decoder.end();
    if (!decoded.ok) return (this.failed = decoded.error);
    return (this.failed = this.text(decoded.text) ?? this.endText());
  }

  protected abstract text(text: string): string | null;
  protected abstract endText(): string | null;
}

/** Splits decoded text on LF; each line (without the LF) goes to `line`. */
abstract class LineParser extends TextFileParser {
  protected lineNo = 0;
  private partial = "";
  private overlong = false;

  protected text(text: string): string | null {
    let start = 0;
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", start)) {
      const error = this.deliver(text.slice(start, at));
      if (error) return error;
      start = at + 1;
    }
    if (start < text.length && !this.overlong) {
      this.partial += text.slice(start);
      if (this.partial.length > MAX_LINE_CHARS) {
        this.partial = "";
        this.overlong = true;
      }
    }
    return null;
  }

  protected endText(): string | null {
    if (this.partial !== "" || this.overlong) return this.deliver("") ?? this.endLines();
    return this.endLines();
  }

  private deliver(tail: string): string | null {
    this.lineNo++;
    if (this.overlong || this.partial.length + tail.length > MAX_LINE_CHARS) {
      this.overlong = false;
      this.partial = "";
      this.rows++;
      this.skipped(this.lineNo);
      return null;
    }
    const line = this.partial === "" ? tail : this.partial + tail;
    this.partial = "";
    return this.line(line);
  }

  /** A line too long to keep: rejected (and its row counted) without being read. */
  protected skipped(row: number): void {
    this.set.reject(row, OVERLONG_LINE, this.options.source);
  }

  protected abstract line(line: string): string | null;
  protected abstract endLines(): string | null;
}

/**
 * One sample per non-empty line (lines trimmed; CRLF, LF and CR all end a line).
 * Duplicates are dropped and counted. No labels.
 */
export class TextLinesParser extends LineParser {
  private row = 0;

  protected override skipped(): void {
    this.row++;
    super.skipped(this.row);
  }

  protected line(raw: string): string | null {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line.includes("\r")) return this.one(line);
    for (const part of line.split("\r")) {
      const error = this.one(part);
      if (error) return error;
    }
    return null;
  }

  private one(raw: string): string | null {
    this.row++;
    const line = raw.trim();
    if (line === "") return null;
    this.rows++;
    if (this.inputKind === "tabular") return "Text lines cannot hold tabular samples; upload a CSV or JSONL file.";
    const c = this.memo.classify(line);
    if (!c.ok) {
      this.set.reject(this.row, c.reason, this.options.source);
      return null;
    }
    return this.set.addRow(c, this.row, undefined, this.options.source);
  }

  protected endLines(): string | null {
    if (this.rows === 0) return this.inputKind === "tabular" ? "Text lines cannot hold tabular samples; upload a CSV or JSONL file." : "The text is empty: put one sample per line.";
    return null;
  }
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

/**
 * One JSON object per line: `{"data": "…" | {…fields}, "label": "…"}`. The data
 * field is `dataField` or the first of DATA_COLUMN_NAMES present (per line); a
 * string is classified like any value, an object is tabular fields (strings and
 * numbers as typed, null and empty strings left out, nested values rejected). The
 * label (a string or number; null or "" = none) is `labelField` or the first of
 * LABEL_COLUMN_NAMES present. Blank lines are skipped; a line that is not JSON, not
 * an object, or has no data field is rejected with its line number.
 */
export class JsonlParser extends LineParser {
  constructor(set: SetBuilder, options: JsonlOptions) {
    super(set, "The JSONL file", options);
  }

  private get jsonl(): JsonlOptions {
    return this.options;
  }

  protected line(raw: string): string | null {
    const line = raw.trim();
    const row = this.lineNo;
    if (line === "") return null;
    this.rows++;
    const options = this.jsonl;
    const reject = (reason: string) => {
      this.set.reject(row, reason, options.source);
      return null;
    };
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(line) as JsonValue;
    } catch (e) {
      return reject(`Not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return reject(`Expected a JSON object, got ${describeJson(parsed)}.`);
    const dataKey = findField(parsed, options.dataField, DATA_COLUMN_NAMES);
    if (dataKey === null) {
      const expected = options.dataField !== undefined ? `"${options.dataField}"` : DATA_COLUMN_NAMES.map((n) => `"${n}"`).join(", ");
      return reject(`No data field: expected ${options.dataField !== undefined ? "" : "one of "}${expected}.`);
    }
    const labelKey = options.labelField === null ? null : findField(parsed, options.labelField ?? undefined, LABEL_COLUMN_NAMES);
    const rawLabel = labelKey === null || labelKey === dataKey ? null : (parsed[labelKey] ?? null);
    if (rawLabel !== null && typeof rawLabel !== "string" && typeof rawLabel !== "number") return reject(`The label is ${describeJson(rawLabel)}; it must be a string.`);
    const label = cleanLabel(rawLabel === null ? undefined : String(rawLabel));
    if (!label.ok) return reject(label.reason);
    const data = parsed[dataKey] as JsonValue;
    let c: Classified;
    if (typeof data === "string") c = this.memo.classify(data.trim());
    else if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      const fields = jsonFields(data);
      c = fields.ok ? classifyFields(fields.entries, this.inputKind, this.limits) : { ok: false, reason: fields.reason };
    } else c = { ok: false, reason: `"${dataKey}" is ${describeJson(data)}; it must be a string (text or image URL) or an object (tabular fields).` };
    if (!c.ok) return reject(c.reason);
    return this.set.addRow(c, row, label.label, options.source);
  }

  protected endLines(): string | null {
    return this.rows === 0 ? "The JSONL file is empty: put one JSON object per line." : null;
  }
}
