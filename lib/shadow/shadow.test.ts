import { describe, expect, it } from "vitest";
import { readOutcome } from "./answer";
import { bucketMiddle, histogramPercentile, latencyBucket } from "./latency";
import { candidateQuery } from "./mirror";

describe("shadow: reading an invoke answer", () => {
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  it("takes the label and confidence of a classification answer, or says why there is none", () => {
    expect(readOutcome(200, bytes({ labelName: "Billing", confidence: 0.91, labelId: "l1" }))).toEqual({ label: "Billing", confidence: 0.91, error: null });
    expect(readOutcome(200, bytes([{ labelName: "cat", confidence: 0.6 }]))).toEqual({ label: "cat", confidence: 0.6, error: null });
    expect(readOutcome(200, bytes({ labelName: "x" }))).toEqual({ label: "x", confidence: null, error: null });
    expect(readOutcome(429, bytes({ message: "slow down" }))).toEqual({ label: null, confidence: null, error: "status 429" });
    expect(readOutcome(200, "not json")).toMatchObject({ label: null, error: "answer is not JSON" });
    expect(readOutcome(200, bytes({ boxes: [] }))).toMatchObject({ label: null, error: "no label in the answer" });
  });
});

describe("shadow: latency sketch", () => {
  it("puts a latency within 2.5% of its bucket's middle", () => {
    for (const ms of [0.3, 1, 7.5, 42, 250, 3000, 59_000]) {
      const middle = bucketMiddle(latencyBucket(ms));
      expect(Math.abs(middle - ms) / ms).toBeLessThan(0.05);
    }
    expect(latencyBucket(0)).toBe(0);
  });

  it("reads p50 and p95 from a histogram close to the exact percentiles", () => {
    const values = Array.from({ length: 1000 }, (_, i) => 5 + (i % 100));
    const counts = new Map<number, number>();
    for (const v of values) counts.set(latencyBucket(v), (counts.get(latencyBucket(v)) ?? 0) + 1);
    expect(histogramPercentile(counts, 50) / 54.5).toBeGreaterThan(0.95);
    expect(histogramPercentile(counts, 50) / 54.5).toBeLessThan(1.05);
    expect(histogramPercentile(counts, 95) / 99).toBeGreaterThan(0.95);
    expect(histogramPercentile(counts, 95) / 99).toBeLessThan(1.05);
    expect(histogramPercentile(new Map(), 50)).toBeNaN();
  });
});

describe("shadow: the candidate's query", () => {
  it("keeps the caller's parameters, forces capture=false and names the candidate", () => {
    expect(candidateQuery(["labelCount=3", "capture=true", "Capture=1"], "model_b")).toBe("labelCount=3&capture=false&modelId=model_b");
    expect(candidateQuery([], "m x")).toBe("capture=false&modelId=m%20x");
  });
});
