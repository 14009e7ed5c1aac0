import { describe, expect, it } from "vitest";
import {
  NO_LABEL,
  NO_TRUTH,
  confidenceDelta,
  decodeSampleColumns,
  describeFilters,
  filterOptions,
  filterRows,
  parseFilters,
  parseSort,
  sortRows,
  toSearch,
  type SampleRow,
  type SideOutcome,
} from "./sample-filters";

const ok = (label: string | null, confidence: number | null = 0.8, latencyMs: number | null = 100): SideOutcome => ({ ok: true, label, confidence, latencyMs });
const failed = (error = "Nyckel kept answering 429"): SideOutcome => ({ ok: false, error });

function row(position: number, truth: string | null, a: SideOutcome, b: SideOutcome, input = `sample ${position}`): SampleRow {
  return { position, id: `id-${position}`, kind: "text", input, truth, a, b };
}

// 1: agree, both right. 2: disagree, A right, B wrong. 3: disagree, A wrong, B right.
// 4: A failed. 5: no truth, agree. 6: not recorded yet. 7: B answered without a label.
const ROWS: SampleRow[] = [
  row(1, "Cat", ok("Cat", 0.9, 120), ok("Cat", 0.95, 80)),
  row(2, "Dog", ok("Dog", 0.7, 110), ok("Cat", 0.6, 90)),
  row(3, "Bird", ok("Cat", 0.55, 130), ok("Bird", 0.85, 70)),
  row(4, "Cat", failed(), ok("Cat", 0.9, 60)),
  row(5, null, ok("Dog", 0.8, 100), ok("Dog", 0.5, 100)),
  row(6, "Dog", null, null),
  row(7, "", ok("Bird", 0.6, 95), ok(null, 0.4, 99)),
];
const positions = (rows: SampleRow[]) => rows.map((r) => r.position);
const params = (s: string) => new URLSearchParams(s);

describe("filterRows", () => {
  it("keeps everything without filters, in set order", () => {
    expect(positions(filterRows(ROWS, parseFilters(params(""))))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("disagreements only: both answered with different labels (a missing label counts as a label)", () => {
    expect(positions(filterRows(ROWS, parseFilters(params("disagree=1"))))).toEqual([2, 3, 7]);
  });

  it("a matrix cell link (?a=…&b=…) lists exactly that cell", () => {
    expect(positions(filterRows(ROWS, parseFilters(params("a=Dog&b=Cat"))))).toEqual([2]);
    expect(positions(filterRows(ROWS, parseFilters(params("a=Cat&b=Cat"))))).toEqual([1]);
    expect(positions(filterRows(ROWS, parseFilters(params("a=Bird&b=Cat"))))).toEqual([]);
  });

  it("(error) matches a failed side or an answer without a label, never a side not recorded yet", () => {
    expect(positions(filterRows(ROWS, parseFilters(params(`a=${encodeURIComponent(NO_LABEL)}`))))).toEqual([4]);
    expect(positions(filterRows(ROWS, parseFilters(params(`b=${encodeURIComponent(NO_LABEL)}`))))).toEqual([7]);
  });

  it("ground truth, including (none) for samples without one (empty counts as none)", () => {
    expect(positions(filterRows(ROWS, parseFilters(params("truth=Cat"))))).toEqual([1, 4]);
    expect(positions(filterRows(ROWS, parseFilters(params(`truth=${encodeURIComponent(NO_TRUTH)}`))))).toEqual([5, 7]);
  });

  it("confidence delta range and |Δ| threshold, inclusive, only where both answered", () => {
    // Δ: 1 → +0.05, 2 → −0.1, 3 → +0.3, 5 → −0.3, 7 → −0.2
    expect(positions(filterRows(ROWS, parseFilters(params("dmin=0"))))).toEqual([1, 3]);
    expect(positions(filterRows(ROWS, parseFilters(params("dmax=-0.1"))))).toEqual([2, 5, 7]);
    expect(positions(filterRows(ROWS, parseFilters(params("dmin=-0.2&dmax=0.05"))))).toEqual([1, 2, 7]);
    expect(positions(filterRows(ROWS, parseFilters(params("dabs=0.3"))))).toEqual([3, 5]);
  });

  it("correct / incorrect against ground truth, and B fixing or breaking A", () => {
    expect(positions(filterRows(ROWS, parseFilters(params("verdict=a-right"))))).toEqual([1, 2]);
    expect(positions(filterRows(ROWS, parseFilters(params("verdict=a-wrong"))))).toEqual([3]);
    expect(positions(filterRows(ROWS, parseFilters(params("verdict=b-wrong"))))).toEqual([2]);
    expect(positions(filterRows(ROWS, parseFilters(params("verdict=fixed"))))).toEqual([3]);
    expect(positions(filterRows(ROWS, parseFilters(params("verdict=broken"))))).toEqual([2]);
  });

  it("combines filters with AND", () => {
    expect(positions(filterRows(ROWS, parseFilters(params("disagree=1&truth=Bird"))))).toEqual([3]);
    expect(positions(filterRows(ROWS, parseFilters(params("disagree=1&a=Dog&dmin=0"))))).toEqual([]);
  });
});

describe("sortRows", () => {
  it("sorts by Δ descending and ascending with missing values last both ways", () => {
    expect(positions(sortRows(ROWS, { column: "delta", desc: true }))).toEqual([3, 1, 2, 7, 5, 4, 6]);
    expect(positions(sortRows(ROWS, { column: "delta", desc: false }))).toEqual([5, 7, 2, 1, 3, 4, 6]);
  });

  it("sorts labels in code-unit order, failed sides and missing labels last, ties by position", () => {
    expect(positions(sortRows(ROWS, { column: "aLabel", desc: false }))).toEqual([7, 1, 3, 2, 5, 4, 6]);
    expect(positions(sortRows(ROWS, { column: "bLabel", desc: true }))).toEqual([5, 1, 2, 4, 3, 6, 7]);
  });

  it("sorts by latency and confidence numerically", () => {
    expect(positions(sortRows(ROWS, { column: "bLatency", desc: false }))).toEqual([4, 3, 1, 2, 7, 5, 6]);
    expect(positions(sortRows(ROWS, { column: "aConfidence", desc: true }))).toEqual([1, 5, 2, 7, 3, 4, 6]);
  });

  it("position descending reverses set order; the input is not changed", () => {
    const copy = ROWS.slice();
    expect(positions(sortRows(ROWS, { column: "position", desc: true }))).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(ROWS).toEqual(copy);
  });

  it("truth sorts samples without ground truth last", () => {
    expect(positions(sortRows(ROWS, { column: "truth", desc: false }))).toEqual([3, 1, 4, 2, 6, 5, 7]);
  });
});

describe("URL form", () => {
  it("round-trips filters and sorting through search params, keeping other params", () => {
    const f = parseFilters(params("disagree=1&a=Dog&b=%28error%29&truth=Cat&dmin=-0.5&dmax=0.25&dabs=0.1&verdict=fixed"));
    expect(f).toEqual({ disagree: true, a: "Dog", b: NO_LABEL, truth: "Cat", deltaMin: -0.5, deltaMax: 0.25, absDeltaMin: 0.1, verdict: "fixed" });
    const search = toSearch(f, { column: "delta", desc: true }, params("x=1&a=old"));
    const back = params(search.slice(1));
    expect(back.get("x")).toBe("1");
    expect(parseFilters(back)).toEqual(f);
    expect(parseSort(back)).toEqual({ column: "delta", desc: true });
  });

  it("ignores malformed values instead of failing, and clamps ranges", () => {
    expect(parseFilters(params("disagree=yes&dmin=abc&dmax=7&dabs=-3&verdict=maybe"))).toEqual({
      disagree: false,
      a: undefined,
      b: undefined,
      truth: undefined,
      deltaMin: undefined,
      deltaMax: 1,
      absDeltaMin: 0,
      verdict: undefined,
    });
    expect(parseSort(params("sort=DROP TABLE&dir=desc"))).toEqual({ column: "position", desc: false });
  });

  it("writes nothing for the default view", () => {
    expect(toSearch({ disagree: false }, { column: "position", desc: false })).toBe("");
  });

  it("describes the active filters", () => {
    expect(describeFilters(parseFilters(params("disagree=1&a=Dog&dabs=0.2")))).toBe("disagreements only, A = Dog, |Δ| ≥ 0.2");
  });
});

describe("helpers", () => {
  it("confidence delta is B − A only when both answered", () => {
    expect(confidenceDelta(ROWS[2]!)).toBeCloseTo(0.3);
    expect(confidenceDelta(ROWS[3]!)).toBeNull();
    expect(confidenceDelta(ROWS[5]!)).toBeNull();
  });

  it("filter options list each side's labels with (error) and (none) last", () => {
    expect(filterOptions(ROWS)).toEqual({
      a: ["Bird", "Cat", "Dog", NO_LABEL],
      b: ["Bird", "Cat", "Dog", NO_LABEL],
      truth: ["Bird", "Cat", "Dog", NO_TRUTH],
    });
  });
});

describe("decodeSampleColumns", () => {
  it("turns the route's columns into rows: outcomes, failures, pending sides, image ids, shortened inputs", () => {
    const rows = decodeSampleColumns({
      position: [1, 2, 3],
      id: [null, "0b7f6c1e-9d7a-4a53-9d38-2f1b1c1d1e1f", null],
      kind: ["text", "image", "tabular"],
      input: ["hello", "cat.png", '{"plan": "pro"}'],
      truncated: [true, false, false],
      truth: ["Billing", null, null],
      aOk: [true, false, null],
      aLabel: ["Billing", null, null],
      aConfidence: [0.9, null, null],
      aLatency: [120, null, null],
      aError: [null, "Nyckel refused the request (400).", null],
      bOk: [true, true, null],
      bLabel: [null, "Cat", null],
      bConfidence: [0.4, 0.8, null],
      bLatency: [80, 90, null],
      bError: [null, null, null],
    });
    expect(rows).toEqual([
      { position: 1, id: "", kind: "text", input: "hello", inputTruncated: true, truth: "Billing", a: { ok: true, label: "Billing", confidence: 0.9, latencyMs: 120 }, b: { ok: true, label: null, confidence: 0.4, latencyMs: 80 } },
      { position: 2, id: "0b7f6c1e-9d7a-4a53-9d38-2f1b1c1d1e1f", kind: "image", input: "cat.png", truth: null, a: { ok: false, error: "Nyckel refused the request (400)." }, b: { ok: true, label: "Cat", confidence: 0.8, latencyMs: 90 } },
      { position: 3, id: "", kind: "tabular", input: '{"plan": "pro"}', truth: null, a: null, b: null },
    ]);
  });

  it("marks answers reused from the answer cache (and only answers)", () => {
    const rows = decodeSampleColumns({
      position: [1, 2],
      kind: ["text", "text"],
      aOk: [true, false],
      aLabel: ["Billing", null],
      aLatency: [120, null],
      aError: [null, "failed"],
      aReused: [true, false],
      bOk: [true, true],
      bLabel: ["Billing", "Bug"],
      bLatency: [80, 90],
      bReused: [false, null],
    });
    expect(rows.map((r) => [r.a, r.b])).toEqual([
      [{ ok: true, label: "Billing", confidence: null, latencyMs: 120, reused: true }, { ok: true, label: "Billing", confidence: null, latencyMs: 80 }],
      [{ ok: false, error: "failed" }, { ok: true, label: "Bug", confidence: null, latencyMs: 90 }],
    ]);
  });

  it("an empty run (no columns) has no rows", () => {
    expect(decodeSampleColumns(null)).toEqual([]);
    expect(decodeSampleColumns({ position: [] })).toEqual([]);
  });
});
