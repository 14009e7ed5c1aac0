import type { Metadata } from "next";
import Link from "next/link";
import { RunStatusBadge } from "@/components/compare/run-status-badge";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePagePermission } from "@/lib/auth/session";
import { listComparisonRuns } from "@/lib/compare/queries";

export const metadata: Metadata = { title: "Comparisons" };

export default async function ComparisonsPage() {
  await requirePagePermission("comparisons:read");
  const runs = await listComparisonRuns();
  return (
    <>
      <PageHeader title="Comparisons" description="Side-by-side runs of two models on your samples." />
      {runs.length === 0 ? (
        <EmptyState title="No comparison runs yet">
          Open a function, upload a sample set under Sample sets, and compare two models to see where they disagree.
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 bg-white text-sm dark:divide-zinc-800 dark:bg-zinc-900" data-testid="runs-table">
            <thead className="bg-zinc-50 text-left text-xs uppercase tracking-wide text-zinc-500 dark:bg-zinc-900">
              <tr>
                <th scope="col" className="px-4 py-2">Function</th>
                <th scope="col" className="px-4 py-2">Model A</th>
                <th scope="col" className="px-4 py-2">Model B</th>
                <th scope="col" className="px-4 py-2">Sample set</th>
                <th scope="col" className="px-4 py-2">Status</th>
                <th scope="col" className="px-4 py-2">Started by</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {runs.map((r) => (
                <tr key={r.id}>
                  <td className="px-4 py-2">
                    <Link href={`/comparisons/${r.id}`} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                      {r.function.name}
                    </Link>
                  </td>
                  <td className="px-4 py-2">{r.modelALabel}</td>
                  <td className="px-4 py-2">{r.modelBLabel}</td>
                  <td className="px-4 py-2">{r.sampleSet.name} ({r.total})</td>
                  <td className="px-4 py-2"><RunStatusBadge status={r.status} /></td>
                  <td className="px-4 py-2 text-zinc-500">{r.createdByLabel}, {r.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
