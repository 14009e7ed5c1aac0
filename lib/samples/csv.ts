/**
 * CSV with a header row, parsed as a stream (RFC 4180 quoting; a quoted field may
 * span lines and chunks).
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
 * too-long value are rejected; everything else is classified like any value. A
 * record longer than MAX_LINE_CHARS is rejected without being kept.
 *
 * Refused as a whole (`error`): empty file, header without rows, no data column,
 * duplicate column names, more samples than the set limit, invalid UTF-8.
 */
import { classifyFields, cleanLabel, normalizeName, parseCsvNumber, type Classified } from "./classify";
import { MAX_LINE_CHARS, formatBytes } from "./limits";
import type { SetBuilder } from "./set-builder";
import { TextFileParser } from "./text-parsers";
import { DATA_COLUMN_NAMES, LABEL_COLUMN_NAMES, type CsvColumns, type CsvOptions } from "./types";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the end of the field, or the first of "". */
  QuoteInQuoted,
}

export const EMPTY_CSV = "The CSV file is empty: it needs a header row and at least one data row.";
const NEVER_CLOSED = "Malformed row: a quoted field is never closed, so the rest of the file was read as part of this row.";
const TRAILING_QUOTE = "Malformed row: Trailing quote on quoted field is malformed.";
const OVERLONG_ROW = `Malformed row: the row is longer than ${formatBytes(MAX_LINE_CHARS)}; it was skipped.`;

export class CsvParser extends TextFileParser {
  columns: CsvColumns | null = null;
  private delimiter: number | null;
  private delimiterText: string | null;
  /** Text before the delimiter is known (up to the first non-blank line). */
  private head = "";
  /** LF (also CRLF) or CR, from the first line break. */
  private newline: number | null = null;
  private state = State.FieldStart;
  private acc = "";
  private record: string[] = [];
  private recordChars = 0;
  private overlong = false;
  private quoteError: string | null = null;
  private line = 1;
  private recordLine = 1;
  private header: string[] | null = null;
  private dataIndex = -1;
  private labelIndex = -1;
  private tabularIndexes: number[] = [];
  private dataRows = 0;

  constructor(
    set: SetBuilder,
    private readonly csv: CsvOptions,
  ) {
    super(set, "The CSV file", csv);
    if (csv.delimiter !== undefined && csv.delimiter.length !== 1) throw new RangeError("delimiter must be one character.");
    this.delimiterText = csv.delimiter ?? null;
    this.delimiter = csv.delimiter?.charCodeAt(0) ?? null;
  }

  protected text(text: string): string | null {
    if (this.delimiter === null || this.newline === null) {
      this.head += text;
      const newline = lineBreakOf(this.head);
      const first = firstCompleteLine(this.head);
      if ((newline === null || first === null) && this.head.length <= MAX_LINE_CHARS) return null;
      return this.startScanning();
    }
    return this.scan(text);
  }

  /** Delimiter and line break from the head (defaults: the guess, LF), then the head itself. */
  private startScanning(): string | null {
    this.newline = lineBreakOf(this.head) ?? LF;
    if (this.delimiter === null) this.setDelimiter(guessDelimiter(this.head));
    const head = this.head;
    this.head = "";
    return this.scan(head);
  }

  protected endText(): string | null {
    if (this.delimiter === null || this.newline === null) {
      const error = this.startScanning();
      if (error) return error;
    }
    if (this.state === State.Quoted) {
      this.quoteError = NEVER_CLOSED;
      const error = this.endField(this.acc) ?? this.endRecord();
      if (error) return error;
    } else if (this.state === State.QuoteInQuoted || this.state === State.Unquoted || this.record.length > 0) {
      const error = this.endField(this.acc) ?? this.endRecord();
      if (error) return error;
    }
    if (this.header === null) return EMPTY_CSV;
    if (this.dataRows === 0) return "The CSV file has a header row but no data rows.";
    return null;
  }

  private setDelimiter(d: string): void {
    this.delimiterText = d;
    this.delimiter = d.charCodeAt(0);
  }


  /** Runs the state machine over one piece of text. */
  private scan(text: string): string | null {
    const delimiter = this.delimiter as number;
    let seg = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            seg = i + 1;
            continue;
          }
          this.state = State.Unquoted;
          seg = i;
        // falls through
        case State.Unquoted:
          if (c === delimiter) {
            const error = this.endField(this.take(text, seg, i));
            if (error) return error;
            this.state = State.FieldStart;
          } else if (c === this.newline) {
            let value = this.take(text, seg, i);
            if (this.newline === LF && value.endsWith("\r")) value = value.slice(0, -1);
            const error = this.endField(value) ?? this.endRecord();
            if (error) return error;
            this.line++;
            this.recordLine = this.line;
            this.state = State.FieldStart;
          }
          continue;
        case State.Quoted:
          if (c === QUOTE) {
            this.acc = this.take(text, seg, i);
            this.state = State.QuoteInQuoted;
          } else if (c === this.newline) this.line++;
          continue;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            if (!this.overlong) this.acc += '"';
            seg = i + 1;
            this.state = State.Quoted;
          } else if (c === delimiter) {
            const error = this.endField(this.take(text, i, i));
            if (error) return error;
            this.state = State.FieldStart;
          } else if (c === this.newline) {
            const error = this.endField(this.take(text, i, i)) ?? this.endRecord();
            if (error) return error;
            this.line++;
            this.recordLine = this.line;
            this.state = State.FieldStart;
          } else if (!(c === CR && this.newline !== CR)) {
            this.quoteError ??= TRAILING_QUOTE;
            this.state = State.Unquoted;
            seg = i;
          }
          continue;
      }
    }
    // Keep what the next chunk continues.
    if (this.state === State.Unquoted || this.state === State.Quoted) this.acc = this.take(text, seg, n);
    return null;
  }

  /** `acc` + text[from, to), unless the record is already too long (then nothing is kept). */
  private take(text: string, from: number, to: number): string {
    const value = this.overlong ? "" : from < to ? this.acc + text.slice(from, to) : this.acc;
    this.acc = "";
    if (!this.overlong && this.recordChars + value.length > MAX_LINE_CHARS) {
      this.overlong = true;
      return "";
    }
    return value;
  }

  private endField(value: string): string | null {
    this.acc = "";
    this.recordChars += value.length;
    this.record.push(value);
    return null;
  }

  private endRecord(): string | null {
    const record = this.record;
    const line = this.recordLine;
    const quoteError = this.quoteError;
    const overlong = this.overlong;
    this.record = [];
    this.recordChars = 0;
    this.quoteError = null;
    this.overlong = false;
    if (!quoteError && !overlong && record.every((cell) => cell.trim() === "")) return null;
    const source = this.csv.source;
    if (this.header === null) {
      this.header = record.map((name) => name.trim());
      if (quoteError) return `The CSV header (line ${line}) is malformed: ${quoteError.replace(/^Malformed row: /, "").replace(/\.$/, "")}.`;
      if (overlong) return `The CSV header (line ${line}) is longer than ${formatBytes(MAX_LINE_CHARS)}.`;
      const columns = resolveCsvColumns(this.header, this.delimiterText as string, this.csv);
      if (typeof columns === "string") return columns;
      this.columns = columns;
      const at = (name: string | null) => (name === null ? -1 : (this.header as string[]).indexOf(name));
      this.dataIndex = at(columns.dataColumn);
      this.labelIndex = at(columns.labelColumn);
      this.tabularIndexes = columns.tabularColumns.map(at);
      return null;
    }
    const header = this.header;
    this.dataRows++;
    this.rows++;
    if (quoteError) return this.reject(line, quoteError, source);
    if (overlong) return this.reject(line, OVERLONG_ROW, source);
    if (record.length !== header.length) {
      const d = this.delimiterText as string;
      const sep = d === "\t" ? "tabs" : `"${d}"`;
      return this.reject(line, `Malformed row: ${record.length} field${record.length === 1 ? "" : "s"}, but the header has ${header.length}. Quote values that contain ${sep}.`, source);
    }
    const label = this.labelIndex >= 0 ? cleanLabel(record[this.labelIndex]) : ({ ok: true, label: undefined } as const);
    if (!label.ok) return this.reject(line, label.reason, source);
    let c: Classified;
    if (this.dataIndex >= 0) {
      c = this.memo.classify((record[this.dataIndex] as string).trim());
    } else {
      const entries: Array<[string, string | number]> = [];
      for (const i of this.tabularIndexes) {
        const cell = (record[i] as string).trim();
        if (cell !== "") entries.push([header[i] as string, parseCsvNumber(cell)]);
      }
      c = classifyFields(entries, this.inputKind, this.limits);
    }
    if (!c.ok) return this.reject(line, c.reason, source);
    return this.set.addRow(c, line, label.label, source);
  }

  private reject(line: number, reason: string, source: string | undefined): null {
    this.set.reject(line, reason, source);
    return null;
  }
}

/** LF (also for CRLF) or CR, from the first line break; null while it cannot be told yet. */
function lineBreakOf(text: string): number | null {
  const at = text.search(/[\r\n]/);
  if (at === -1 || (text[at] === "\r" && at === text.length - 1)) return null;
  return text[at] === "\n" || text[at + 1] === "\n" ? LF : CR;
}

/** The first non-blank line when it is complete (a line break follows), else null. */
function firstCompleteLine(text: string): string | null {
  const lines = /[^\r\n]*(\r\n|\n|\r)/g;
  for (let m = lines.exec(text); m; m = lines.exec(text)) {
    const line = m[0].replace(/[\r\n]+$/, "");
    if (line.trim() !== "") return line;
    if (m[0].length === 0) break;
  }
  return null;
}

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
/** How the header is understood (see `parseCsv`), or an error message. */
export function resolveCsvColumns(names: string[], delimiter: string, options: CsvOptions): CsvColumns | string {
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

