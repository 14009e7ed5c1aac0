/** The shapes shared by the sample parsers, the upload reader, the preview and the service. */
import type { SampleLimits } from "./limits";

/** CSV columns / JSONL fields taken as the data, in order of preference (matched case-insensitively; spaces and dashes count as "_"). */
export const DATA_COLUMN_NAMES = ["data", "text", "input", "url", "image_url", "image"] as const;
/** CSV columns / JSONL fields taken as the ground-truth label, in order of preference. */
export const LABEL_COLUMN_NAMES = ["label", "truth", "ground_truth", "groundtruth", "true_label", "expected", "expected_label"] as const;

export type ImageMimeType = "image/jpeg" | "image/png" | "image/webp" | "image/gif";
export type SampleKind = "text" | "imageUrl" | "tabular" | "image";
export type TabularFields = Record<string, string | number>;
/** What the function takes; "auto" classifies each value (see classify.ts). */
export type InputKind = "auto" | "text" | "image" | "tabular";

export interface ImageValue {
  mimeType: ImageMimeType;
  bytes: Uint8Array;
  fileName?: string;
}

export interface SampleBase {
  /** Ground truth, trimmed; absent when the row has none. */
  label?: string;
  /** SHA-256 hex of the canonical form (see classify.ts). */
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
  /** The first MAX_EXAMPLES rejected rows, with their reasons. */
  rejected: Rejection[];
  /** Every rejected row. */
  rejectedCount: number;
  /** Rows dropped because an earlier row had the same content hash. */
  duplicates: number;
  /** The first MAX_EXAMPLES of them. */
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
