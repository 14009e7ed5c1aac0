import "server-only";
import { csvLine } from "@/lib/csv";
import { listRunSamples } from "./queries";

/** a_reused / b_reused: "yes" when the answer came from the answer cache (its latency is the original call's), "no" when Nyckel was asked in this run, "" when not recorded. */
const reusedCell = (r: { reused: boolean } | null | undefined) => (r ? (r.reused ? "yes" : "no") : "");

export const RUN_CSV_COLUMNS = ["position", "input", "truth", "a_label", "a_confidence", "a_latency_ms", "a_error", "b_label", "b_confidence", "b_latency_ms", "b_error", "agree", "a_reused", "b_reused"] as const;

/**
 * A comparison run as CSV, streamed in keyset pages of `batchSize` samples
 * (set order), so a 100,000-sample run never sits in memory whole. Cells go
 * through the one csvCell (formula starts neutralised).
 */
export function runCsvStream(runId: string, options: { batchSize?: number; onError?: (err: unknown) => void } = {}): ReadableStream<Uint8Array> {
  const batchSize = options.batchSize ?? 500;
  const encoder = new TextEncoder();
  let after = -1;
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!started) {
            started = true;
            controller.enqueue(encoder.encode(`${RUN_CSV_COLUMNS.join(",")}\n`));
            return;
          }
          const page = await listRunSamples(runId, batchSize, after);
          if (page.length === 0) return controller.close();
          const lines = page.map((s) => {
            const agree = s.a?.ok && s.b?.ok ? (s.a.labelName === s.b.labelName ? "yes" : "no") : "";
            return csvLine([s.position, s.input, s.truth, s.a?.labelName, s.a?.confidence, s.a?.latencyMs, s.a?.error, s.b?.labelName, s.b?.confidence, s.b?.latencyMs, s.b?.error, agree, reusedCell(s.a), reusedCell(s.b)]);
          });
          after = page[page.length - 1]!.position;
          controller.enqueue(encoder.encode(`${lines.join("\n")}\n`));
          if (page.length < batchSize) controller.close();
        } catch (err) {
          options.onError?.(err);
          controller.error(err);
        }
      },
    },
    { highWaterMark: 1 },
  );
}
