import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { RunProgress } from "@/components/compare/run-progress";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { AccuracySection } from "@/components/compare/accuracy-section";
import { LazyDeltaHistogram } from "@/components/compare/lazy-delta-histogram";
import { LazySampleTable } from "@/components/compare/lazy-parts";
import { TransitionMatrix } from "@/components/compare/transition-matrix";
import { countReusedAnswers, getComparisonRun, getRunProgress, getRunReport } from "@/lib/compare/queries";
import { NO_LABEL } from "@/lib/compare/sample-filters";
import { EvidenceOffersBox } from "@/components/promotions/evidence-offers";
import { getEvidenceOffers } from "@/lib/promotions/offer-queries";
import { textLinkClass } from "@/components/ui/text-link";

export const metadata: Metadata = { title: "Comparison run" };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "—");

export default async function ComparisonRunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  const user = await requirePagePermission("comparisons:read");
  const run = await getComparisonRun(runId);
  if (!run) notFound();
  const [progress, report, reused, offers] = await Promise.all([
    getRunProgress(run.id),
    getRunReport(run.id),
    countReusedAnswers(run.id),
    can(user.role, "requests:create") ? getEvidenceOffers(run.id) : Promise.resolve(null),
  ]);
  const agreement = report.agreement;
  return (
    <>
      {/* The sample table's rows: the browser starts fetching them while it parses the HTML, before the table's
          script runs (same URL, mode and credentials as the table's fetch, which then reuses the response). */}
      <link rel="preload" as="fetch" href={`/api/comparisons/${run.id}/samples`} crossOrigin="anonymous" />
      <p className="mb-2 text-sm">
        <Link href="/comparisons" className={textLinkClass}>← Comparisons</Link>
      </p>
      <PageHeader
        title={`${run.function.name}: A vs B`}
        description={
          <>
            A = <strong>{run.modelALabel}</strong>, B = <strong>{run.modelBLabel}</strong> on sample set “{run.sampleSet.name}” ({run.total} samples),
            started by {run.createdByLabel} at {run.createdAt.toISOString().slice(0, 19).replace("T", " ")} UTC.
            {run.modelA === null || run.modelB === null ? " “latest” is whatever Nyckel served while the run ran." : ""}
            {reused.a + reused.b > 0 ? (
              <span className="block" data-testid="reused-counts">
                Reused from earlier runs (marked ↺, with the original call&apos;s latency): A {reused.a} of {run.total}, B {reused.b} of {run.total} answers.
              </span>
            ) : null}
          </>
        }
      />
      <RunProgress runId={run.id} initial={JSON.parse(JSON.stringify(progress))} canCancel={can(user.role, "comparisons:run")} />
      {offers ? <EvidenceOffersBox functionId={run.function.id} runId={run.id} data={offers} /> : null}
      {agreement.n > 0 ? (
        <>
          <section className="mt-6 grid gap-6 lg:grid-cols-3">
            <div className="min-w-0 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Agreement</h2>
              <p className="mt-1 text-sm" data-testid="agreement">
                The models agree on <strong>{pct(agreement.rate)}</strong> of {agreement.n} samples both answered (95% CI {pct(agreement.ci.low)}–{pct(agreement.ci.high)}).
              </p>
            </div>
            <div className="min-w-0 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Latency</h2>
              <p className="mt-1 text-sm" data-testid="latency">
                A: p50 {fmt(report.latency.a.p50)} ms, p95 {fmt(report.latency.a.p95)} ms · B: p50 {fmt(report.latency.b.p50)} ms, p95 {fmt(report.latency.b.p95)} ms
              </p>
            </div>
            <div className="min-w-0 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Errors</h2>
              <p className="mt-1 text-sm" data-testid="errors">A failed on {report.errors.a} samples, B on {report.errors.b} (after retries).</p>
            </div>
          </section>
          {report.accuracy ? <AccuracySection accuracy={report.accuracy} /> : null}
          <section className="mt-6 grid gap-6 lg:grid-cols-2">
            <div className="min-w-0 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Label transitions (rows A, columns B)</h2>
              <p className="text-xs text-zinc-600 dark:text-zinc-400">Click a cell to list those samples. The diagonal is agreement.</p>
              <div className="mt-3 overflow-x-auto">
                <TransitionMatrix runId={run.id} labels={report.matrix.labels} counts={report.matrix.counts} />
              </div>
            </div>
            <div className="min-w-0 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
              <h2 className="text-base font-semibold">Confidence change (B − A)</h2>
              <LazyDeltaHistogram bins={report.deltas.bins} />
              <h3 className="mt-4 text-sm font-semibold">Flip rate per label of A</h3>
              <ul className="mt-1 text-sm" data-testid="flips">
                {report.flips.map((f) => (
                  <li key={f.label ?? NO_LABEL}>
                    {f.label ?? NO_LABEL}: {f.flipped} of {f.n} changed ({pct(f.rate)}, 95% CI {pct(f.ci.low)}–{pct(f.ci.high)})
                  </li>
                ))}
              </ul>
            </div>
          </section>
        </>
      ) : null}
      <section className="mt-6 scroll-mt-4" id="samples" aria-labelledby="samples-heading">
        <h2 id="samples-heading" className="mb-2 text-base font-semibold">Samples</h2>
        <Suspense fallback={<p className="text-sm text-zinc-500">Loading samples…</p>}>
          <LazySampleTable runId={run.id} modelA={run.modelALabel} modelB={run.modelBLabel} />
        </Suspense>
      </section>
    </>
  );
}
