import { describeAccuracyDifference, percentWithCi } from "@/lib/compare/describe-stats";
import type { EvidenceSummary } from "@/lib/promotions/evidence";

type Accuracy = NonNullable<EvidenceSummary["accuracy"]>;

/**
 * The frozen statistics of a request's evidence, worded as requested vs current pin:
 * the paired accuracy difference and per-label precision / recall with their 95%
 * intervals. Evidence frozen before these figures existed shows nothing here.
 */
export function EvidenceStatistics({ accuracy, currentSide }: { accuracy: Accuracy; currentSide: "a" | "b" }) {
  const d = accuracy.difference;
  const requestedSide = currentSide === "a" ? "b" : "a";
  // Stored as B − A; shown as requested − current.
  const difference = d
    ? currentSide === "a"
      ? { difference: d.bMinusA, low: d.ciLow, high: d.ciHigh }
      : { difference: d.bMinusA === null ? null : -d.bMinusA, low: -d.ciHigh, high: -d.ciLow }
    : null;
  const rate = (r: number | null, ci: [number, number]) => percentWithCi(r, ci[0], ci[1]);
  return (
    <>
      {difference ? (
        <p data-testid="evidence-difference">{describeAccuracyDifference(difference, { a: "current pin", b: "requested" })}</p>
      ) : null}
      {accuracy.perLabel?.length ? (
        <details className="text-zinc-700 dark:text-zinc-300">
          <summary className="cursor-pointer">Precision and recall per label (95% Wilson intervals)</summary>
          <div className="mt-2 overflow-x-auto">
            <table className="text-xs tabular-nums" data-testid="evidence-per-label">
              <thead className="text-left uppercase text-zinc-600 dark:text-zinc-400">
                <tr>
                  <th scope="col" className="pr-3 font-medium">Label</th>
                  <th scope="col" className="pr-3 font-medium">Support</th>
                  <th scope="col" className="pr-3 font-medium">Precision, current</th>
                  <th scope="col" className="pr-3 font-medium">Precision, requested</th>
                  <th scope="col" className="pr-3 font-medium">Recall, current</th>
                  <th scope="col" className="pr-3 font-medium">Recall, requested</th>
                </tr>
              </thead>
              <tbody>
                {accuracy.perLabel.map((l) => (
                  <tr key={l.label}>
                    <th scope="row" className="pr-3 text-left font-normal">{l.label}</th>
                    <td className="pr-3">{l.support}</td>
                    <td className="pr-3">{rate(l[currentSide].precision, l[currentSide].precisionCi)}</td>
                    <td className="pr-3">{rate(l[requestedSide].precision, l[requestedSide].precisionCi)}</td>
                    <td className="pr-3">{rate(l[currentSide].recall, l[currentSide].recallCi)}</td>
                    <td className="pr-3">{rate(l[requestedSide].recall, l[requestedSide].recallCi)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {accuracy.perLabelOmitted ? <p className="mt-1">{accuracy.perLabelOmitted} less frequent labels are in the full report.</p> : null}
          </div>
        </details>
      ) : null}
    </>
  );
}
