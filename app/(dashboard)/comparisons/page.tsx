import type { Metadata } from "next";
import Link from "next/link";
import { RunStatusBadge } from "@/components/compare/run-status-badge";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { inputClass } from "@/components/ui/field";
import { FilterField, FilterSelect } from "@/components/ui/filter";
import { PageHeader } from "@/components/ui/page-header";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { requirePagePermission } from "@/lib/session/current";
import { listComparisonRuns, listRunFilterOptions } from "@/lib/compare/queries";
import { RUN_STATUSES, runListFilterSchema, type RunListFilter } from "@/lib/compare/schemas";
import { textLinkClass } from "@/components/ui/text-link";

export const metadata: Metadata = { title: "Comparisons" };

type Search = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function hrefWith(filter: RunListFilter, patch: Partial<RunListFilter>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...patch })) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `/comparisons?${s}` : "/comparisons";
}

export default async function ComparisonsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requirePagePermission("comparisons:read");
  const raw = await searchParams;
  const filter = runListFilterSchema.parse({
    function: first(raw.function),
    status: first(raw.status),
    by: first(raw.by),
    q: first(raw.q),
    before: first(raw.before),
  });
  const [{ runs, next }, options] = await Promise.all([listComparisonRuns(filter), listRunFilterOptions()]);
  const filtering = Boolean(filter.function || filter.status || filter.by || filter.q);
  const anyRuns = options.functions.length > 0;
  return (
    <>
      <PageHeader title="Comparisons" description="Side-by-side runs of two models on your samples." />
      {!anyRuns ? (
        <EmptyState title="No comparison runs yet">
          Open a function, upload a sample set under Sample sets, and compare two models to see where they disagree.
        </EmptyState>
      ) : (
        <>
          <form method="get" action="/comparisons" role="search" aria-label="Filter comparison runs" className="mb-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-3 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <FilterSelect id="runs-function" name="function" label="Function" value={filter.function} all="All" options={options.functions.map((f) => ({ value: f.id, label: f.name }))} className="py-1.5" />
            <FilterSelect id="runs-status" name="status" label="Status" value={filter.status} all="All" options={RUN_STATUSES.map((s) => ({ value: s, label: s }))} className="py-1.5" />
            <FilterSelect id="runs-by" name="by" label="Started by" value={filter.by} all="All" options={options.starters.map((s) => ({ value: s, label: s }))} className="py-1.5" />
            <FilterField id="runs-q" label="Model id, nickname or sample set contains">
              <input id="runs-q" name="q" type="search" defaultValue={filter.q ?? ""} maxLength={100} placeholder="model_…" className={`${inputClass} w-64 py-1.5`} />
            </FilterField>
            <button type="submit" className={buttonClass("primary")}>
              Apply filters
            </button>
            {filtering ? (
              <Link href="/comparisons" className={buttonClass("ghost")}>
                Clear
              </Link>
            ) : null}
          </form>
          {runs.length === 0 ? (
            <EmptyState title="No runs match these filters" action={<Link href="/comparisons" className={buttonClass("secondary")}>Show all runs</Link>}>
              Change or clear the filters to see more runs.
            </EmptyState>
          ) : (
            <ListTable data-testid="runs-table" columns={["Function", "Model A", "Model B", "Sample set", "Status", "Agreement", "Started"]} tone="contrast">
              {runs.map((r) => (
                <tr key={r.id} data-testid={`run-${r.id}`}>
                  <Td>
                    <Link href={`/comparisons/${r.id}`} className={`font-medium ${textLinkClass}`}>
                      {r.function.name}
                    </Link>
                  </Td>
                  <Td className="max-w-56 wrap-anywhere">{r.modelALabel}</Td>
                  <Td className="max-w-56 wrap-anywhere">{r.modelBLabel}</Td>
                  <Td className="max-w-64 wrap-anywhere">
                    {r.sampleSet.name} ({r.total})
                  </Td>
                  <Td>
                    <RunStatusBadge status={r.status} />
                  </Td>
                  <Td data-testid="run-agreement" className="whitespace-nowrap tabular-nums">
                    {r.agreement ? (
                      <span title={`${r.agreement.agree} of ${r.agreement.n} samples both models answered; 95% Wilson interval`}>
                        <strong>{pct(r.agreement.rate)}</strong>{" "}
                        <span className="text-xs text-zinc-600 dark:text-zinc-400">
                          ({pct(r.agreement.low)}–{pct(r.agreement.high)}, n = {r.agreement.n})
                        </span>
                      </span>
                    ) : (
                      <span className="text-zinc-500 dark:text-zinc-400">—</span>
                    )}
                  </Td>
                  <Td className="text-zinc-600 dark:text-zinc-400">
                    {r.createdByLabel}
                    <br />
                    <Time value={r.createdAt} className="text-xs" />
                  </Td>
                </tr>
              ))}
            </ListTable>
          )}
          <nav className="mt-3 flex gap-3 text-sm" aria-label="More runs">
            {filter.before ? (
              <Link href={hrefWith(filter, { before: undefined })} className={textLinkClass}>
                ← Newest runs
              </Link>
            ) : null}
            {next ? (
              <Link href={hrefWith(filter, { before: next })} className={textLinkClass}>
                Older runs →
              </Link>
            ) : null}
          </nav>
        </>
      )}
    </>
  );
}
