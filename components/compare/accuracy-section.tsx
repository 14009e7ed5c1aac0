import type { RunReport } from "@/lib/compare/report";
import { describeAccuracyDifference, percent, percentWithCi } from "@/lib/compare/describe-stats";

type Accuracy = NonNullable<RunReport["accuracy"]>;

/** The report against ground truth: accuracy of A and B, the paired difference B − A, per-label precision and recall, each with its 95% interval. */
export function AccuracySection({ accuracy }: { accuracy: Accuracy }) {
  const d = accuracy.difference;
  const th = "py-1 pr-4 font-medium";
  return (
    <section className="mt-6 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" data-testid="accuracy">
      <h2 className="text-base font-semibold">Against ground truth ({accuracy.n} samples)</h2>
      <p className="mt-1 text-sm">
        Accuracy A <strong>{percent(accuracy.a.accuracy)}</strong> (95% CI {percent(accuracy.a.ci.low)}–{percent(accuracy.a.ci.high)}), B{" "}
        <strong>{percent(accuracy.b.accuracy)}</strong> (95% CI {percent(accuracy.b.ci.low)}–{percent(accuracy.b.ci.high)}). {accuracy.sentence}
      </p>
      <p className="mt-1 text-sm" data-testid="accuracy-difference">
        {describeAccuracyDifference({ difference: d.difference, low: d.ci.low, high: d.ci.high }, { a: "A", b: "B" })}{" "}
        <span className="text-zinc-600 dark:text-zinc-400">(Newcombe&apos;s interval for paired samples.)</span>
      </p>
      <div className="mt-3 overflow-x-auto">
        <table className="text-sm" data-testid="per-label">
          <caption className="pb-1 text-left text-xs text-zinc-600 dark:text-zinc-400">Per label, with 95% Wilson intervals in brackets</caption>
          <thead className="text-left text-xs uppercase text-zinc-600 dark:text-zinc-400">
            <tr>
              <th scope="col" className={th}>Label</th>
              <th scope="col" className={th}>Support</th>
              <th scope="col" className={th}>Precision A</th>
              <th scope="col" className={th}>Recall A</th>
              <th scope="col" className={th}>Precision B</th>
              <th scope="col" className={th}>Recall B</th>
            </tr>
          </thead>
          <tbody className="tabular-nums">
            {accuracy.labels.map((label, i) => {
              const a = accuracy.a.perLabel[i];
              const b = accuracy.b.perLabel[i];
              return (
                <tr key={label}>
                  <th scope="row" className="py-0.5 pr-4 text-left font-normal">{label}</th>
                  <td className="pr-4">{a?.support}</td>
                  <td className="pr-4">{a ? percentWithCi(a.precision, a.precisionCi.low, a.precisionCi.high) : "—"}</td>
                  <td className="pr-4">{a ? percentWithCi(a.recall, a.recallCi.low, a.recallCi.high) : "—"}</td>
                  <td className="pr-4">{b ? percentWithCi(b.precision, b.precisionCi.low, b.precisionCi.high) : "—"}</td>
                  <td className="pr-4">{b ? percentWithCi(b.recall, b.recallCi.low, b.recallCi.high) : "—"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
