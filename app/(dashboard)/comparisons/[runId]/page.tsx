import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RunProgress } from "@/components/compare/run-progress";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/auth/session";
import { getComparisonRun, getRunAgreement, getRunProgress, listRunSamples } from "@/lib/compare/queries";

export const metadata: Metadata = { title: "Comparison run" };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export default async function ComparisonRunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  const user = await requirePagePermission("comparisons:read");
  const run = await getComparisonRun(runId);
  if (!run) notFound();
  const [progress, agreement, samples] = await Promise.all([getRunProgress(run.id), getRunAgreement(run.id), listRunSamples(run.id)]);
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
        <section className="mt-6 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
          <h2 className="text-base font-semibold">Agreement</h2>
          <p className="mt-1 text-sm" data-testid="agreement">
            The models agree on <strong>{pct(agreement.rate)}</strong> of {agreement.n} samples both answered (95% CI {pct(agreement.ci.low)}–{pct(agreement.ci.high)}).
          </p>
        </section>
      ) : null}
      <section className="mt-6">
        <h2 className="mb-2 text-base font-semibold">Samples{samples.length < run.total ? ` (first ${samples.length})` : ""}</h2>
        <div className="overflow-x-auto rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 bg-white text-sm dark:divide-zinc-800 dark:bg-zinc-900">
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
