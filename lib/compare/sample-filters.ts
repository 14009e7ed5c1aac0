/**
 * The report's sample table: row shape, filters, sorting and their URL form.
 *
 * Pure (no React, no database): the run page's client table, the samples route
 * handler and the tests share it. Filters live in the page's search params, so
 * a link (a matrix cell: `?a=<label>&b=<label>#samples`) lands on the filtered
 * list, and a filtered view can be shared.
 *
 * Conventions:
 * - `(error)` as a label filter of A or B matches a side that failed, or that
 *   answered without a label (the transition matrix's "no label" row/column).
 * - `(none)` as the ground-truth filter matches samples without ground truth.
 * - A sample not recorded yet (a running run) matches no label filter.
 * - Disagreement = both models answered, with different labels (as in the
 *   report's agreement rate and the CSV export's `agree` column).
 * - Confidence delta Δ = B's confidence − A's, on samples both answered.
 * - Sorting keeps missing values (failed side or no label, no truth, no Δ) last in both
 *   directions; ties keep set order (position), so the order is stable.
 */

export const NO_LABEL = "(error)";
export const NO_TRUTH = "(none)";

export type SampleKind = "text" | "image" | "imageUrl" | "tabular";

export type SideOutcome =
  /** reused: taken from the answer cache (latencyMs is then the original call's). */
  | { ok: true; label: string | null; confidence: number | null; latencyMs: number | null; reused?: boolean }
  | { ok: false; error: string }
  | null;

/** One sample of a run with both outcomes, as the samples route sends it. */
export type SampleRow = {
  position: number;
  /** Sample id (only needed for image thumbnails). */
  id: string;
  kind: SampleKind;
  /** Text (possibly shortened, see `inputTruncated`), image URL, tabular JSON, or the image's file name. */
  input: string;
  inputTruncated?: boolean;
  truth: string | null;
  a: SideOutcome;
  b: SideOutcome;
};

export const VERDICTS = {
  "a-right": "A right",
  "a-wrong": "A wrong",
  "b-right": "B right",
  "b-wrong": "B wrong",
  fixed: "A wrong → B right",
  broken: "A right → B wrong",
} as const;
export type Verdict = keyof typeof VERDICTS;

export type SampleFilters = {
  disagree: boolean;
  /** Label of A (`(error)` = failed / no label). */
  a?: string;
  b?: string;
  /** Ground truth (`(none)` = without ground truth). */
  truth?: string;
  /** Confidence delta range, inclusive, each in [-1, 1]. */
  deltaMin?: number;
  deltaMax?: number;
  /** |Δ| ≥ this, in [0, 1]. */
  absDeltaMin?: number;
  verdict?: Verdict;
};

export const SORT_COLUMNS = ["position", "input", "truth", "aLabel", "aConfidence", "aLatency", "bLabel", "bConfidence", "bLatency", "delta"] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export type SortState = { column: SortColumn; desc: boolean };

export const DEFAULT_SORT: SortState = { column: "position", desc: false };

// ---------------------------------------------------------------------------
// Row helpers

/** The label a side gave, `null` for "no label" (failed or answered without one), `undefined` when not recorded. */
export function sideLabel(o: SideOutcome): string | null | undefined {
  if (o === null) return undefined;
  return o.ok ? o.label : null;
}

export function isDisagreement(row: Pick<SampleRow, "a" | "b">): boolean {
  return !!(row.a?.ok && row.b?.ok && row.a.label !== row.b.label);
}

/** B's confidence minus A's, when both answered with a confidence. */
export function confidenceDelta(row: Pick<SampleRow, "a" | "b">): number | null {
  if (!row.a?.ok || !row.b?.ok || row.a.confidence === null || row.b.confidence === null) return null;
  return row.b.confidence - row.a.confidence;
}

/** Whether a side got the ground truth: null when there is no truth or the side did not answer. */
export function isCorrect(row: Pick<SampleRow, "truth">, side: SideOutcome): boolean | null {
  if (row.truth === null || row.truth === "" || !side?.ok) return null;
  return side.label === row.truth;
}

function matchesLabel(o: SideOutcome, wanted: string): boolean {
  const label = sideLabel(o);
  if (label === undefined) return false;
  return wanted === NO_LABEL ? label === null : label === wanted;
}

function matchesVerdict(row: SampleRow, verdict: Verdict): boolean {
  const a = isCorrect(row, row.a);
  const b = isCorrect(row, row.b);
  switch (verdict) {
    case "a-right":
      return a === true;
    case "a-wrong":
      return a === false;
    case "b-right":
      return b === true;
    case "b-wrong":
      return b === false;
    case "fixed":
      return a === false && b === true;
    case "broken":
      return a === true && b === false;
  }
}

// ---------------------------------------------------------------------------
// Filtering and sorting

export function hasFilters(f: SampleFilters): boolean {
  return (
    f.disagree ||
    f.a !== undefined ||
    f.b !== undefined ||
    f.truth !== undefined ||
    f.deltaMin !== undefined ||
    f.deltaMax !== undefined ||
    f.absDeltaMin !== undefined ||
    f.verdict !== undefined
  );
}

/** Small slack so a typed bound like 0.1 includes a Δ computed as 0.30000000000000004 − 0.2. */
const EPS = 1e-9;

export function matchesFilters(row: SampleRow, f: SampleFilters): boolean {
  if (f.disagree && !isDisagreement(row)) return false;
  if (f.a !== undefined && !matchesLabel(row.a, f.a)) return false;
  if (f.b !== undefined && !matchesLabel(row.b, f.b)) return false;
  if (f.truth !== undefined) {
    const truth = row.truth === null || row.truth === "" ? null : row.truth;
    if (f.truth === NO_TRUTH ? truth !== null : truth !== f.truth) return false;
  }
  if (f.deltaMin !== undefined || f.deltaMax !== undefined || f.absDeltaMin !== undefined) {
    const d = confidenceDelta(row);
    if (d === null) return false;
    if (f.deltaMin !== undefined && d < f.deltaMin - EPS) return false;
    if (f.deltaMax !== undefined && d > f.deltaMax + EPS) return false;
    if (f.absDeltaMin !== undefined && Math.abs(d) < f.absDeltaMin - EPS) return false;
  }
  if (f.verdict !== undefined && !matchesVerdict(row, f.verdict)) return false;
  return true;
}

export function filterRows(rows: readonly SampleRow[], f: SampleFilters): SampleRow[] {
  if (!hasFilters(f)) return rows.slice();
  return rows.filter((r) => matchesFilters(r, f));
}

/** The value a column sorts by; null = missing (sorted last). */
export function sortValue(row: SampleRow, column: SortColumn): string | number | null {
  switch (column) {
    case "position":
      return row.position;
    case "input":
      return row.input;
    case "truth":
      return row.truth === null || row.truth === "" ? null : row.truth;
    case "delta":
      return confidenceDelta(row);
    default: {
      // aLabel, aConfidence, aLatency, bLabel, …: a side and what of it.
      const o = column.startsWith("a") ? row.a : row.b;
      if (!o?.ok) return null;
      if (column.endsWith("Label")) return o.label;
      return column.endsWith("Confidence") ? o.confidence : o.latencyMs;
    }
  }
}

/** Code-unit order for strings (the same in every browser and on the server), numeric order for numbers. */
function compareValues(x: string | number, y: string | number): number {
  if (typeof x === "number" && typeof y === "number") return x - y;
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

/** A new array in the requested order: missing values last in both directions, ties by position. */
export function sortRows(rows: readonly SampleRow[], sort: SortState): SampleRow[] {
  if (sort.column === "position") {
    const out = rows.slice().sort((r, s) => r.position - s.position);
    return sort.desc ? out.reverse() : out;
  }
  const keyed = rows.map((row) => ({ row, v: sortValue(row, sort.column) }));
  const dir = sort.desc ? -1 : 1;
  keyed.sort((x, y) => {
    if (x.v === null || y.v === null) {
      if (x.v === null && y.v === null) return x.row.position - y.row.position;
      return x.v === null ? 1 : -1;
    }
    return dir * compareValues(x.v, y.v) || x.row.position - y.row.position;
  });
  return keyed.map((k) => k.row);
}

// ---------------------------------------------------------------------------
// Options for the filter pickers

/** The distinct labels of A, B and the ground truth, each sorted; "(error)" / "(none)" when present. */
export function filterOptions(rows: readonly SampleRow[]): { a: string[]; b: string[]; truth: string[] } {
  const a = new Set<string>();
  const b = new Set<string>();
  const truth = new Set<string>();
  for (const r of rows) {
    const la = sideLabel(r.a);
    const lb = sideLabel(r.b);
    if (la !== undefined) a.add(la ?? NO_LABEL);
    if (lb !== undefined) b.add(lb ?? NO_LABEL);
    truth.add(r.truth === null || r.truth === "" ? NO_TRUTH : r.truth);
  }
  const order = (s: Set<string>, special: string) => {
    const list = [...s].filter((x) => x !== special).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    return s.has(special) ? [...list, special] : list;
  };
  return { a: order(a, NO_LABEL), b: order(b, NO_LABEL), truth: order(truth, NO_TRUTH) };
}

// ---------------------------------------------------------------------------
// URL form

type ParamsLike = { get(name: string): string | null };

function numberParam(params: ParamsLike, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) return undefined;
  return Math.min(max, Math.max(min, n));
}

function textParam(params: ParamsLike, name: string): string | undefined {
  const raw = params.get(name);
  return raw === null || raw === "" ? undefined : raw.slice(0, 1000);
}

/** Filters from search params; unknown or malformed values are ignored (never an error). */
export function parseFilters(params: ParamsLike): SampleFilters {
  const verdict = params.get("verdict");
  return {
    disagree: params.get("disagree") === "1",
    a: textParam(params, "a"),
    b: textParam(params, "b"),
    truth: textParam(params, "truth"),
    deltaMin: numberParam(params, "dmin", -1, 1),
    deltaMax: numberParam(params, "dmax", -1, 1),
    absDeltaMin: numberParam(params, "dabs", 0, 1),
    verdict: verdict !== null && verdict in VERDICTS ? (verdict as Verdict) : undefined,
  };
}

export function parseSort(params: ParamsLike): SortState {
  const column = params.get("sort");
  if (!column || !(SORT_COLUMNS as readonly string[]).includes(column)) return DEFAULT_SORT;
  return { column: column as SortColumn, desc: params.get("dir") === "desc" };
}

const FILTER_KEYS = ["disagree", "a", "b", "truth", "dmin", "dmax", "dabs", "verdict", "sort", "dir"] as const;

/** The search string (`?…`, or "") for filters and sorting, keeping any other params. */
export function toSearch(filters: SampleFilters, sort: SortState, keep?: URLSearchParams): string {
  const p = new URLSearchParams(keep);
  for (const k of FILTER_KEYS) p.delete(k);
  if (filters.disagree) p.set("disagree", "1");
  if (filters.a !== undefined) p.set("a", filters.a);
  if (filters.b !== undefined) p.set("b", filters.b);
  if (filters.truth !== undefined) p.set("truth", filters.truth);
  if (filters.deltaMin !== undefined) p.set("dmin", String(filters.deltaMin));
  if (filters.deltaMax !== undefined) p.set("dmax", String(filters.deltaMax));
  if (filters.absDeltaMin !== undefined) p.set("dabs", String(filters.absDeltaMin));
  if (filters.verdict !== undefined) p.set("verdict", filters.verdict);
  if (sort.column !== DEFAULT_SORT.column || sort.desc !== DEFAULT_SORT.desc) {
    p.set("sort", sort.column);
    if (sort.desc) p.set("dir", "desc");
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** A sentence describing active filters, for the count line and screen readers. */
export function describeFilters(f: SampleFilters): string {
  const parts: string[] = [];
  if (f.disagree) parts.push("disagreements only");
  if (f.a !== undefined) parts.push(`A = ${f.a}`);
  if (f.b !== undefined) parts.push(`B = ${f.b}`);
  if (f.truth !== undefined) parts.push(`truth = ${f.truth}`);
  if (f.deltaMin !== undefined || f.deltaMax !== undefined) parts.push(`Δ in [${f.deltaMin ?? -1}, ${f.deltaMax ?? 1}]`);
  if (f.absDeltaMin !== undefined) parts.push(`|Δ| ≥ ${f.absDeltaMin}`);
  if (f.verdict !== undefined) parts.push(VERDICTS[f.verdict]);
  return parts.join(", ");
}

// ---------------------------------------------------------------------------
// Wire format of GET /api/comparisons/{runId}/samples

/**
 * The run's samples column by column (one array per field, in set order):
 * PostgreSQL builds this JSON itself and the route passes it through, and
 * arrays of numbers and short strings are what JSON.parse is fastest at. The
 * sample id is sent only for image samples (their thumbnails need it).
 */
export type SampleColumns = {
  position: number[];
  id: Array<string | null>;
  kind: string[];
  input: Array<string | null>;
  truncated: boolean[];
  truth: Array<string | null>;
  aOk: Array<boolean | null>;
  aLabel: Array<string | null>;
  aConfidence: Array<number | null>;
  aLatency: Array<number | null>;
  aError: Array<string | null>;
  aReused?: Array<boolean | null>;
  bOk: Array<boolean | null>;
  bLabel: Array<string | null>;
  bConfidence: Array<number | null>;
  bLatency: Array<number | null>;
  bError: Array<string | null>;
  bReused?: Array<boolean | null>;
};

const KINDS: readonly SampleKind[] = ["text", "image", "imageUrl", "tabular"];

function outcome(
  ok: boolean | null | undefined,
  label: string | null | undefined,
  confidence: number | null | undefined,
  latencyMs: number | null | undefined,
  error: string | null | undefined,
  reused: boolean | null | undefined,
): SideOutcome {
  if (ok === null || ok === undefined) return null;
  if (!ok) return { ok: false, error: error || "failed" };
  const answer: SideOutcome = { ok: true, label: label ?? null, confidence: confidence ?? null, latencyMs: latencyMs ?? null };
  if (reused) answer.reused = true;
  return answer;
}

/** Rows from the columns (an empty run's columns may be null: no rows). */
export function decodeSampleColumns(c: Partial<{ [K in keyof SampleColumns]: SampleColumns[K] | null }> | null | undefined): SampleRow[] {
  const positions = c?.position ?? [];
  const rows: SampleRow[] = new Array(positions.length);
  for (let i = 0; i < positions.length; i++) {
    const raw = c!.kind?.[i] ?? "text";
    const kind = (KINDS as readonly string[]).includes(raw) ? (raw as SampleKind) : "text";
    const row: SampleRow = {
      position: positions[i]!,
      id: c!.id?.[i] ?? "",
      kind,
      input: c!.input?.[i] ?? (kind === "image" ? "image" : ""),
      truth: c!.truth?.[i] ?? null,
      a: outcome(c!.aOk?.[i], c!.aLabel?.[i], c!.aConfidence?.[i], c!.aLatency?.[i], c!.aError?.[i], c!.aReused?.[i]),
      b: outcome(c!.bOk?.[i], c!.bLabel?.[i], c!.bConfidence?.[i], c!.bLatency?.[i], c!.bError?.[i], c!.bReused?.[i]),
    };
    if (c!.truncated?.[i]) row.inputTruncated = true;
    rows[i] = row;
  }
  return rows;
}
