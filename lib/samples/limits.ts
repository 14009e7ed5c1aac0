/**
 * The limits of a sample set and of one upload, in one place (MB = 2^20 bytes).
 * Modelpin's own limits, not documented Nyckel ones. See README "Upload limits and memory".
 */
const MB = 1024 * 1024;

/** 10 MB per image. */
export const MAX_IMAGE_BYTES = 10 * MB;
/** 10,000 samples per set. */
export const MAX_SAMPLES_PER_SET = 10_000;
/** 200 MB per set; also the most an upload's body may carry (plus MULTIPART_SLACK_BYTES of multipart framing). */
export const MAX_SET_BYTES = 200 * MB;
/** Characters in one text sample (or one tabular field). */
export const MAX_TEXT_CHARS = 10_000;
/** Characters in one image URL. */
export const MAX_URL_CHARS = 2_048;
/** Characters in one ground-truth label (labels are names, not documents). */
export const MAX_LABEL_CHARS = 1_000;
/** One form field (the pasted text, the name, the column choices) is at most 2 MB. */
export const MAX_FIELD_BYTES = 2 * MB;
/** Multipart headers and boundaries on top of MAX_SET_BYTES. */
export const MULTIPART_SLACK_BYTES = MB;
/**
 * One line (or CSV record) is at most 16 MB of characters: enough for a 10 MB image as a
 * base64 data URI; a longer one is rejected as a row and skipped without being kept.
 */
export const MAX_LINE_CHARS = 16 * MB;
/** Rejected and duplicate rows are counted; this many of each are kept as examples for the preview. */
export const MAX_EXAMPLES = 200;

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

export function resolveLimits(limits: Partial<SampleLimits> | undefined): SampleLimits {
  return { ...SAMPLE_LIMITS, ...limits };
}

/** "512 bytes", "12.5 KB", "10 MB", "50.3 MB" (binary units, as the limits). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  const [value, unit] = bytes < MB ? [bytes / 1024, "KB"] : [bytes / MB, "MB"];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

/** 1234567 → "1,234,567". */
export const count = (n: number): string => n.toLocaleString("en-US");
