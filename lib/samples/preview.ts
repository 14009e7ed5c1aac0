import { sampleBytes, type ParseResult } from "./parse";

export type PreviewSample = { row: number; source?: string; kind: string; display: string; label?: string; bytes: number };

export type SampleSetPreview = {
  counts: { samples: number; labeled: number; duplicates: number; rejected: number; bytes: number; kinds: string[] };
  first: PreviewSample[];
  rejected: Array<{ row: number; source?: string; reason: string }>;
  error?: string;
};

const FIRST = 20;
const REJECTED = 500;

/** What the upload preview shows: counts, the first rows, every rejection (up to 500) with its reason. */
export function previewOf(result: ParseResult): SampleSetPreview {
  return {
    counts: {
      samples: result.samples.length,
      labeled: result.samples.filter((s) => s.label !== undefined).length,
      duplicates: result.duplicates,
      rejected: result.rejected.length,
      bytes: result.samples.reduce((n, s) => n + sampleBytes(s), 0),
      kinds: [...new Set(result.samples.map((s) => s.kind))].sort(),
    },
    first: result.samples.slice(0, FIRST).map((s) => ({
      row: s.sourceRow,
      source: s.source,
      kind: s.kind,
      label: s.label,
      bytes: sampleBytes(s),
      display:
        s.kind === "image"
          ? `${s.value.fileName ?? "image"} (${s.value.mimeType})`
          : s.kind === "tabular"
            ? JSON.stringify(s.value)
            : s.value.length > 300
              ? `${s.value.slice(0, 300)}…`
              : s.value,
    })),
    rejected: result.rejected.slice(0, REJECTED).map((r) => ({ row: r.row, source: r.source, reason: r.reason })),
    ...(result.error ? { error: result.error } : {}),
  };
}
