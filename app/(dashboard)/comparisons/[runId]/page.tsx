import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RunProgress } from "@/components/compare/run-progress";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/auth/session";
import { DeltaHistogram } from "@/components/compare/delta-histogram";
import { buttonClass } from "@/components/ui/button";
import { getComparisonRun, getRunProgress, getRunReport, listRunSamples } from "@/lib/compare/queries";

export const metadata: Metadata = { title: "Comparison run" };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const NONE = "(error)";
const cellHref = (runId: string, a: string | null, b: string | null) =>
  `/comparisons/${runId}?a=${encodeURIComponent(a ?? NONE)}&b=${encodeURIComponent(b ?? NONE)}#samples`;
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "—");

export default async function ComparisonRunPage({
  params,
  searchParams,
}: {
  params: Promise<{ runId: string }>;
  searchParams: Promise<{ a?: string; b?: string; disagree?: string }>;
}) {
  const [{ runId }, filter] = await Promise.all([params, searchParams]);
  const user = await requirePagePermission("comparisons:read");
  const run = await getComparisonRun(runId);
  if (!run) notFound();
  const [progress, report, allSamples] = await Promise.all([getRunProgress(run.id), getRunReport(run.id), listRunSamples(run.id, run.total)]);
  const agreement = report.agreement;
  const label = (v: string | undefined) => (v === undefined ? undefined : v === NONE ? null : v);
  const fa = label(filter.a);
  const fb = label(filter.b);
  const filtered = allSamples.filter((s) => {
    if (filter.disagree === "1" && !(s.a?.ok && s.b?.ok && s.a.labelName !== s.b.labelName)) return false;
    if (fa !== undefined && !(s.a?.ok && s.a.labelName === fa)) return false;
    if (fb !== undefined && !(s.b?.ok && s.b.labelName === fb)) return false;
    return true;
  });
  const samples = filtered.slice(0, 500);
  const filtering = fa !== undefined || fb !== undefined || filter.disagree === "1";
  const maxCell = Math.max(1, ...report.matrix.counts.flat());
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/comparisons" className="text-indigo-700 hover:underline dark:text-indigo-300">← Comparisons</Link>
      </p>
      <PageHeader
        title={`${run.function.name}: A vs B`}
        description={
          <>
            A = <strong>{run.modelALabel}</strong>, B = <strong>{run.modelBLabel}</strong> on sample set “{run.sampleSet.name}” ({run.total} samples),
            started by {run.createdByLabel} at {run.createdAt.toISOString().slice(0, 19).replace("T", " ")} UTC.
            {run.modelA === null || run.modelB === null ? " “latest” is whatever Nyckel served while the run ran." : ""}
          </>
        }
      />
      <RunProgress runId={run.id} initial={JSON.parse(JSON.stringify(progress))} canCancel={can(user.role, "comparisons:run")} />
      {agreement.n > 0 ? (
        <>
          <section className="mt-6 grid gap-6 lg:grid-cols-3">
            <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Agreement</h2>
              <p className="mt-1 text-sm" data-testid="agreement">
                The models agree on <strong>{pct(agreement.rate)}</strong> of {agreement.n} samples both answered (95% CI {pct(agreement.ci.low)}–{pct(agreement.ci.high)}).
              </p>
            </div>
            <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Latency</h2>
              <p className="mt-1 text-sm" data-testid="latency">
                A: p50 {fmt(report.latency.a.p50)} ms, p95 {fmt(report.latency.a.p95)} ms · B: p50 {fmt(report.latency.b.p50)} ms, p95 {fmt(report.latency.b.p95)} ms
              </p>
            </div>
            <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Errors</h2>
              <p className="mt-1 text-sm" data-testid="errors">A failed on {report.errors.a} samples, B on {report.errors.b} (after retries).</p>
            </div>
          </section>
          {report.accuracy ? (
            <section className="mt-6 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" data-testid="accuracy">
              <h2 className="text-base font-semibold">Against ground truth ({report.accuracy.n} samples)</h2>
              <p className="mt-1 text-sm">
                Accuracy A <strong>{pct(report.accuracy.a.accuracy)}</strong> (95% CI {pct(report.accuracy.a.ci.low)}–{pct(report.accuracy.a.ci.high)}), B{" "}
                <strong>{pct(report.accuracy.b.accuracy)}</strong> (95% CI {pct(report.accuracy.b.ci.low)}–{pct(report.accuracy.b.ci.high)}). {report.accuracy.sentence}
              </p>
              <table className="mt-3 text-sm">
                <thead className="text-left text-xs uppercase text-zinc-500">
                  <tr><th className="pr-4">Label</th><th className="pr-4">Support</th><th className="pr-4">Precision A</th><th className="pr-4">Recall A</th><th className="pr-4">Precision B</th><th className="pr-4">Recall B</th></tr>
                </thead>
                <tbody>
                  {report.accuracy.labels.map((l, i) => {
                    const a = report.accuracy!.a.perLabel[i];
                    const b = report.accuracy!.b.perLabel[i];
                    const p = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "—" : pct(x));
                    return (
                      <tr key={l}><td className="pr-4">{l}</td><td className="pr-4">{a?.support}</td><td className="pr-4">{p(a?.precision)}</td><td className="pr-4">{p(a?.recall)}</td><td className="pr-4">{p(b?.precision)}</td><td className="pr-4">{p(b?.recall)}</td></tr>
                    );
                  })}
                </tbody>
              </table>
            </section>
          ) : null}
          <section className="mt-6 grid gap-6 lg:grid-cols-2">
            <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Label transitions (rows A, columns B)</h2>
              <p className="text-xs text-zinc-500">Click a cell to list those samples. The diagonal is agreement.</p>
              <div className="mt-3 overflow-x-auto">
                <table className="text-xs" data-testid="matrix">
                  <thead>
                    <tr>
                      <th className="p-1 text-left">A \ B</th>
                      {report.matrix.labels.map((l) => <th key={l ?? NONE} className="p-1">{l ?? NONE}</th>)}
                    </tr>
                  </thead>
                  <tbody>
                    {report.matrix.labels.map((rowLabel, i) => (
                      <tr key={rowLabel ?? NONE}>
                        <th className="p-1 text-left">{rowLabel ?? NONE}</th>
                        {report.matrix.labels.map((colLabel, j) => {
                          const n = report.matrix.counts[i]?.[j] ?? 0;
                          return (
                            <td key={colLabel ?? NONE} className="p-0">
                              <Link
                                href={cellHref(run.id, rowLabel, colLabel)}
                                className="block min-w-12 p-1.5 text-center tabular-nums hover:outline hover:outline-2 hover:outline-indigo-500"
                                style={{ backgroundColor: n ? `rgb(99 102 241 / ${(0.12 + 0.78 * (n / maxCell)).toFixed(2)})` : undefined }}
                                aria-label={`A ${rowLabel ?? NONE}, B ${colLabel ?? NONE}: ${n} samples`}
                                data-cell={`${rowLabel ?? NONE}|${colLabel ?? NONE}`}
                              >
                                {n}
                              </Link>
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
            <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Confidence change (B − A)</h2>
              <DeltaHistogram bins={report.deltas.bins} />
              <h3 className="mt-4 text-sm font-semibold">Flip rate per label of A</h3>
              <ul className="mt-1 text-sm" data-testid="flips">
                {report.flips.map((f) => (
                  <li key={f.label ?? NONE}>
                    {f.label ?? NONE}: {f.flipped} of {f.n} changed ({pct(f.rate)}, 95% CI {pct(f.ci.low)}–{pct(f.ci.high)})
                  </li>
                ))}
              </ul>
            </div>
          </section>
        </>
      ) : null}
      <section className="mt-6" id="samples">
        <div className="mb-2 flex flex-wrap items-center gap-3">
          <h2 className="text-base font-semibold">
            Samples {filtering ? `(${filtered.length} matching${fa !== undefined ? `, A = ${filter.a}` : ""}${fb !== undefined ? `, B = ${filter.b}` : ""}${filter.disagree === "1" ? ", disagreements only" : ""})` : ""}
            {samples.length < filtered.length ? ` — first ${samples.length} shown` : ""}
          </h2>
          <Link href={`/comparisons/${run.id}?disagree=1#samples`} className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">Disagreements only</Link>
          {filtering ? <Link href={`/comparisons/${run.id}#samples`} className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">Show all</Link> : null}
          <a href={`/api/comparisons/${run.id}/export`} className={buttonClass("secondary", "ml-auto")}>Export CSV</a>
        </div>
        <div className="overflow-x-auto rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 bg-white text-sm dark:divide-zinc-800 dark:bg-zinc-900" data-testid="samples-table">
            <thead className="bg-zinc-50 text-left text-xs uppercase text-zinc-500 dark:bg-zinc-900">
              <tr><th className="px-3 py-2">#</th><th className="px-3 py-2">Input</th><th className="px-3 py-2">Truth</th><th className="px-3 py-2">A</th><th className="px-3 py-2">B</th></tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {samples.map((s) => {
                const differ = s.a?.ok && s.b?.ok && s.a.labelName !== s.b.labelName;
                return (
                  <tr key={s.id} className={differ ? "bg-amber-50 dark:bg-amber-950/40" : undefined}>
                    <td className="px-3 py-1 text-zinc-500">{s.position}</td>
                    <td className="max-w-md truncate px-3 py-1">{s.input}</td>
                    <td className="px-3 py-1">{s.truth ?? "—"}</td>
                    {[s.a, s.b].map((r, i) => (
                      <td key={i} className="px-3 py-1">
                        {!r ? <span className="text-zinc-400">pending</span> : r.ok ? `${r.labelName} (${((r.confidence ?? 0) * 100).toFixed(0)}%, ${r.latencyMs} ms)` : <span className="text-red-600">failed: {r.error}</span>}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
