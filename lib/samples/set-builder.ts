/**
 * Building a set from parsed rows: duplicates dropped, limits applied, rejected and
 * duplicate rows COUNTED with at most MAX_EXAMPLES of each kept as examples.
 *
 * Memory is bounded whatever the upload holds:
 * - duplicates are found by content hash in a Map of accepted samples only (hash → row,
 *   file, label). Accepted samples stop at `samplesPerSet` (10,000: one more refuses
 *   the set), so the Map holds at most 10,000 entries (~2–3 MB, labels ≤ 1,000
 *   characters included): 190 MB of identical lines is one entry, 190 MB of distinct
 *   lines is refused at the 10,001st;
 * - rejected rows keep no data, only a count and the first MAX_EXAMPLES reasons;
 * - accepted samples are either handed to a sink in batches (the upload: written to the
 *   database, or dropped by the preview) or, for the small in-memory parsers, kept.
 */
import { detach, sampleBytes, toSample, type Classified } from "./classify";
import { MAX_EXAMPLES, count, formatBytes, type SampleLimits } from "./limits";
import { previewSample, type PreviewSample } from "./preview";
import type { DuplicateRow, ParseResult, Rejection, Sample, SampleKind } from "./types";

/** Where accepted samples go, in order, in batches. */
export interface SampleSink {
  write(samples: Sample[]): Promise<void>;
}

/** What an upload amounts to: counts, examples, the first samples (display only). */
export interface SetSummary {
  samples: number;
  labeled: number;
  duplicates: number;
  rejected: number;
  bytes: number;
  kinds: SampleKind[];
  first: PreviewSample[];
  rejectedExamples: Rejection[];
  duplicateExamples: DuplicateRow[];
  error?: string;
}

export interface SetBuilderOptions {
  /** Receives accepted samples in batches (then none are kept here). */
  sink?: SampleSink;
  /** Flush to the sink at this many samples or bytes, whichever comes first. */
  batchSamples?: number;
  batchBytes?: number;
}

const FIRST = 20;

type Kept = { row: number; source?: string; label?: string };

export class SetBuilder {
  /** Accepted samples when there is no sink (the in-memory parsers). */
  readonly samples: Sample[] = [];
  readonly rejected: Rejection[] = [];
  readonly duplicateRows: DuplicateRow[] = [];
  readonly first: PreviewSample[] = [];
  readonly kinds = new Set<SampleKind>();
  rejectedCount = 0;
  duplicates = 0;
  accepted = 0;
  labeled = 0;
  bytes = 0;
  private readonly seen = new Map<string, Kept>();
  private pending: Sample[] = [];
  private pendingBytes = 0;
  private readonly batchSamples: number;
  private readonly batchBytes: number;

  constructor(
    private readonly limits: SampleLimits,
    readonly what: string,
    private readonly options: SetBuilderOptions = {},
  ) {
    this.batchSamples = options.batchSamples ?? 500;
    this.batchBytes = options.batchBytes ?? 8 * 1024 * 1024;
  }

  reject(row: number, reason: string, source?: string): void {
    this.rejectedCount++;
    if (this.rejected.length < MAX_EXAMPLES) this.rejected.push(source === undefined ? { row, reason } : { row, reason, source });
  }

  /**
   * Adds a classified row unless it is a duplicate (checked before a Sample object is
   * made: 190 MB of one repeated line costs a Map lookup per line); returns an error
   * message when the set would break a limit.
   */
  addRow(c: Extract<Classified, { ok: true }>, row: number, label: string | undefined, source: string | undefined): string | null {
    const kept = this.seen.get(c.hash);
    if (kept) {
      this.duplicate(kept, row, label, source);
      return null;
    }
    return this.add(toSample(c, row, label, source));
  }

  private duplicate(kept: Kept, row: number, label: string | undefined, source: string | undefined): void {
    this.duplicates++;
    if (this.duplicateRows.length >= MAX_EXAMPLES) return;
    const dup: DuplicateRow = { row, duplicateOf: kept.row };
    if (source !== undefined) dup.source = source;
    if (kept.source !== undefined && kept.source !== source) dup.duplicateOfSource = kept.source;
    if (label !== kept.label && label !== undefined) dup.conflictingLabel = detach(label);
    this.duplicateRows.push(dup);
  }

  /** Adds a sample unless it is a duplicate; returns an error message when the set would break a limit. */
  add(sample: Sample): string | null {
    const kept = this.seen.get(sample.contentHash);
    if (kept) {
      this.duplicate(kept, sample.sourceRow, sample.label, sample.source);
      return null;
    }
    if (this.accepted >= this.limits.samplesPerSet) {
      return `${this.what} has more than ${count(this.limits.samplesPerSet)} samples; a sample set holds at most ${count(this.limits.samplesPerSet)}. Split it into smaller sets.`;
    }
    const size = sampleBytes(sample);
    if (this.bytes + size > this.limits.setBytes) {
      return `${this.what} adds up to more than ${formatBytes(this.limits.setBytes)}; a sample set can hold at most ${formatBytes(this.limits.setBytes)}. Split it into smaller sets.`;
    }
    const entry: Kept = { row: sample.sourceRow };
    if (sample.source !== undefined) entry.source = sample.source;
    if (sample.label !== undefined) entry.label = detach(sample.label);
    this.seen.set(sample.contentHash, entry);
    this.accepted++;
    this.bytes += size;
    this.kinds.add(sample.kind);
    if (sample.label !== undefined) this.labeled++;
    if (this.first.length < FIRST) this.first.push(previewSample(sample, size));
    if (this.options.sink) {
      this.pending.push(detachSample(sample));
      this.pendingBytes += size;
    } else {
      this.samples.push(sample);
    }
    return null;
  }

  /** True when a batch is ready for the sink. */
  get batchReady(): boolean {
    return this.pending.length >= this.batchSamples || this.pendingBytes >= this.batchBytes;
  }

  /** Hands the pending samples to the sink (all of them, or only a full batch). */
  async flush(all = false): Promise<void> {
    if (!this.options.sink || this.pending.length === 0 || (!all && !this.batchReady)) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.options.sink.write(batch);
  }

  /** Takes in rows another builder counted (merging in-memory results). */
  absorb(other: Pick<ParseResult, "rejected" | "rejectedCount" | "duplicates" | "duplicateRows">): void {
    this.rejectedCount += other.rejectedCount;
    this.duplicates += other.duplicates;
    this.rejected.push(...other.rejected.slice(0, MAX_EXAMPLES - this.rejected.length));
    this.duplicateRows.push(...other.duplicateRows.slice(0, MAX_EXAMPLES - this.duplicateRows.length));
  }

  /** The message when no row could be used, or null. */
  noUsableSamples(rows: number): string | null {
    if (this.accepted > 0) return null;
    return rows === 0 ? `${this.what} has no samples.` : `${this.what} has no usable samples: ${rows === 1 ? "its only row was" : `all ${count(rows)} rows were`} rejected.`;
  }

  summary(error?: string): SetSummary {
    const s: SetSummary = {
      samples: error ? 0 : this.accepted,
      labeled: error ? 0 : this.labeled,
      duplicates: this.duplicates,
      rejected: this.rejectedCount,
      bytes: error ? 0 : this.bytes,
      kinds: error ? [] : [...this.kinds].sort(),
      first: error ? [] : this.first,
      rejectedExamples: this.rejected,
      duplicateExamples: this.duplicateRows,
    };
    if (error) s.error = error;
    return s;
  }

  result(): ParseResult {
    return {
      samples: this.samples,
      rejected: this.rejected,
      rejectedCount: this.rejectedCount,
      duplicates: this.duplicates,
      duplicateRows: this.duplicateRows,
      bytes: this.bytes,
    };
  }

  fail(error: string): ParseResult {
    return { samples: [], rejected: this.rejected, rejectedCount: this.rejectedCount, duplicates: this.duplicates, duplicateRows: this.duplicateRows, bytes: 0, error };
  }

  /** An upload with no usable sample cannot be saved either. */
  finish(rows: number): ParseResult {
    const none = this.noUsableSamples(rows);
    return none ? this.fail(none) : this.result();
  }
}

/** The sample with its strings copied out of the chunk they were cut from. */
function detachSample(sample: Sample): Sample {
  const label = sample.label === undefined ? {} : { label: detach(sample.label) };
  switch (sample.kind) {
    case "text":
    case "imageUrl":
      return { ...sample, ...label, value: detach(sample.value) };
    case "tabular":
      return { ...sample, ...label, value: Object.fromEntries(Object.entries(sample.value).map(([k, v]) => [detach(k), typeof v === "string" ? detach(v) : v])) };
    default:
      return sample;
  }
}

/** A result that refuses the whole input. */
export function emptyResult(error: string): ParseResult {
  return { samples: [], rejected: [], rejectedCount: 0, duplicates: 0, duplicateRows: [], bytes: 0, error };
}
