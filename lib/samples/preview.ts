import { detach } from "./classify";
import { MAX_EXAMPLES, count } from "./limits";
import type { SetSummary } from "./set-builder";
import type { Sample } from "./types";

export type PreviewSample = { row: number; source?: string; kind: string; display: string; label?: string; bytes: number };

export type SampleSetPreview = {
  counts: { samples: number; labeled: number; duplicates: number; rejected: number; bytes: number; kinds: string[] };
  first: PreviewSample[];
  /** The first MAX_EXAMPLES rejected rows with their reasons (counts.rejected has them all). */
  rejected: Array<{ row: number; source?: string; reason: string }>;
  /** "showing 200 of 1,234,567 rejected rows" when not all are listed. */
  rejectedNote?: string;
  error?: string;
};

/** How one accepted sample shows in the preview (no image bytes, text cut at 300 characters). */
export function previewSample(s: Sample, bytes: number): PreviewSample {
  const display =
    s.kind === "image"
      ? `${s.value.fileName ?? "image"} (${s.value.mimeType})`
      : s.kind === "tabular"
        ? JSON.stringify(s.value)
        : s.value.length > 300
          ? `${s.value.slice(0, 300)}…`
          : detach(s.value);
  const p: PreviewSample = { row: s.sourceRow, kind: s.kind, bytes, display };
  if (s.source !== undefined) p.source = s.source;
  if (s.label !== undefined) p.label = s.label;
  return p;
}

/** What the upload preview shows: counts, the first rows, up to MAX_EXAMPLES rejections with their reasons. */
export function previewOf(summary: SetSummary): SampleSetPreview {
  const rejected = summary.rejectedExamples.slice(0, MAX_EXAMPLES).map((r) => ({ row: r.row, source: r.source, reason: r.reason }));
  return {
    counts: { samples: summary.samples, labeled: summary.labeled, duplicates: summary.duplicates, rejected: summary.rejected, bytes: summary.bytes, kinds: summary.kinds },
    first: summary.first,
    rejected,
    ...(summary.rejected > rejected.length ? { rejectedNote: `showing ${count(rejected.length)} of ${count(summary.rejected)} rejected rows` } : {}),
    ...(summary.error ? { error: summary.error } : {}),
  };
}
