import { TransitionMatrix } from "@/components/compare/transition-matrix";
import { InlineTable } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { NO_LABEL } from "@/lib/compare/sample-filters";
import { SHADOW_LIMITS } from "@/lib/shadow/schemas";
import { LazyAgreementChart } from "./lazy-agreement-chart";
import type { ShadowReport as ShadowReportData } from "@/lib/shadow/queries";

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : `${(x * 100).toFixed(1)}%`);
const ms = (x: number) => (x === undefined || !Number.isFinite(x) ? "—" : `${x.toFixed(0)} ms`);
const count = (n: number) => n.toLocaleString("en-US");
const card = "min-w-0 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800";

/** The figures of a shadow report, laid out like a comparison report: served (the pin) against the candidate. */
export function ShadowReport({ report }: { report: ShadowReportData }) {
  const { agreement, traffic: counts, latency, errors } = report;
  const change = report.confidenceChange;
  const dropped = counts.dropped.budget + counts.dropped.tooLarge + counts.dropped.cap;
  return (
    <>
      <section className="mt-6 grid gap-6 lg:grid-cols-3">
        <div className={card}>
          <h2 className="text-base font-semibold">Agreement</h2>
          <p className="mt-1 text-sm" data-testid="agreement">
            {agreement.n > 0 ? (
              <>
                Served and candidate agree on <strong>{pct(agreement.rate)}</strong> of {count(agreement.n)} requests both answered (95% CI {pct(agreement.ci.low)}–
                {pct(agreement.ci.high)}).
              </>
            ) : (
              "No mirrored request was answered by both models yet."
            )}
          </p>
          {change.n > 0 && Number.isFinite(change.mean) ? (
            <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="confidence-change">
              Mean confidence change (candidate − served): {change.mean >= 0 ? "+" : ""}
              {change.mean.toFixed(3)} over {count(change.n)} requests.
            </p>
          ) : null}
        </div>
        <div className={card}>
          <h2 className="text-base font-semibold">Latency</h2>
          <p className="mt-1 text-sm" data-testid="latency">
            Served: p50 {ms(latency.served.p50)}, p95 {ms(latency.served.p95)} · Candidate: p50 {ms(latency.candidate.p50)}, p95 {ms(latency.candidate.p95)}
          </p>
          <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">The candidate&apos;s calls wait for spare Nyckel quota, so its latency includes none of the caller&apos;s.</p>
        </div>
        <div className={card}>
          <h2 className="text-base font-semibold">Errors and drops</h2>
          <p className="mt-1 text-sm" data-testid="errors">
            Served failed on {count(errors.served)}, the candidate on {count(errors.candidate)} of {count(counts.mirrored)} mirrored requests.
          </p>
          <p className="mt-1 text-sm" data-testid="drops">
            {dropped === 0 ? (
              "No request chosen for mirroring was dropped."
            ) : (
              <>
                {count(dropped)} dropped: {count(counts.dropped.budget)} for want of spare Nyckel budget, {count(counts.dropped.cap)} over the calls-per-second cap,{" "}
                {count(counts.dropped.tooLarge)} with a body over 1 MB.
              </>
            )}
          </p>
        </div>
      </section>
      <section className="mt-6 grid gap-6 lg:grid-cols-2">
        <div className={card}>
          <h2 className="text-base font-semibold">Label transitions (rows served, columns candidate)</h2>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">The diagonal is agreement; “{NO_LABEL}” is an answer without a label.</p>
          <div className="mt-3 overflow-x-auto">
            <TransitionMatrix labels={report.matrix.labels} counts={report.matrix.counts} rows="Served" cols="Candidate" unit="requests" />
          </div>
        </div>
        <div className={card}>
          <h2 className="text-base font-semibold">Agreement over time</h2>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">Per hour (UTC), with its 95% interval as a band.</p>
          <LazyAgreementChart
            points={report.series.map((h) => ({ hour: h.hour, n: h.answered, agree: h.agree, rate: Number.isFinite(h.rate) ? h.rate : null, low: h.ci.low, high: h.ci.high }))}
          />
          <h3 className="mt-4 text-sm font-semibold">Flip rate per served label</h3>
          <ul className="mt-1 text-sm" data-testid="flips">
            {report.flips.map((f) => (
              <li key={f.label ?? NO_LABEL}>
                {f.label ?? NO_LABEL}: the candidate answered otherwise on {count(f.flipped)} of {count(f.n)} ({pct(f.rate)}, 95% CI {pct(f.ci.low)}–{pct(f.ci.high)})
              </li>
            ))}
          </ul>
        </div>
      </section>
      {report.shadow.keepInputs ? <Reservoir items={report.reservoir} /> : null}
    </>
  );
}

function Reservoir({ items }: { items: ShadowReportData["reservoir"] }) {
  return (
    <section className={`mt-6 ${card}`} aria-labelledby="reservoir-heading" data-testid="reservoir">
      <h2 id="reservoir-heading" className="text-base font-semibold">
        Inputs where they disagree
      </h2>
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
        A uniform sample of the disagreements so far ({count(items.length)} kept, at most {SHADOW_LIMITS.reservoirSize}). These are your users&apos; real inputs: handle them
        as such.
      </p>
      {items.length === 0 ? (
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">No disagreement kept yet.</p>
      ) : (
        <InlineTable
          className="mt-3 min-w-full text-left text-sm"
          headClassName="text-xs uppercase tracking-wide text-zinc-600 dark:text-zinc-400"
          caption="Disagreeing inputs, newest first"
          columns={["When", "Served", "Candidate", "Input"]}
        >
          {items.map((r) => (
            <tr key={r.slot} className="align-top">
              <td className="py-1 pr-4 text-xs whitespace-nowrap">
                <Time value={r.at} />
              </td>
              <td className="py-1 pr-4">{r.servedLabel ?? NO_LABEL}</td>
              <td className="py-1 pr-4">{r.candidateLabel ?? NO_LABEL}</td>
              <td className="py-1 break-all">
                {r.text !== null ? (
                  <span className="font-mono text-xs">{r.text.length > 300 ? `${r.text.slice(0, 300)}…` : r.text}</span>
                ) : (
                  <span className="text-xs text-zinc-600 dark:text-zinc-400">
                    {r.contentType}, {count(r.bytes)} bytes
                  </span>
                )}
              </td>
            </tr>
          ))}
        </InlineTable>
      )}
    </section>
  );
}
