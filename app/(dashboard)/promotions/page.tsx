import type { Metadata } from "next";
import Link from "next/link";
import { RequestsTable } from "@/components/promotions/requests-table";
import { buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/empty-state";
import { FilterSelect } from "@/components/ui/filter";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { countWaitingForMe, defaultView, listRequests } from "@/lib/promotions/queries";
import { REQUEST_STATUSES, STATUS_LABELS, requestListFilterSchema, type RequestView } from "@/lib/promotions/schemas";

export const metadata: Metadata = { title: "Promotions" };

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

const EMPTY: Record<RequestView, { title: string; body: string }> = {
  waiting: { title: "Nothing is waiting for you", body: "Pending requests of others that you have not decided yet appear here." },
  mine: { title: "You have no promotion requests", body: "Request a promotion from a function's page: choose the environment, the model, a reason and the evidence." },
  all: { title: "No promotion requests", body: "Editors request promotions from a function's page; approvers decide them here." },
};

export default async function PromotionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("requests:read");
  const raw = await searchParams;
  const filter = requestListFilterSchema.parse({ view: one(raw.view), status: one(raw.status), before: one(raw.before) });
  const canDecide = can(user.role, "requests:decide");
  const canCreate = can(user.role, "requests:create");
  const views: Array<{ view: RequestView; label: string }> = [
    ...(canDecide ? [{ view: "waiting" as const, label: "Waiting for me" }] : []),
    ...(canCreate ? [{ view: "mine" as const, label: "My requests" }] : []),
    { view: "all", label: "All" },
  ];
  const view = filter.view && views.some((v) => v.view === filter.view) ? filter.view : defaultView(user.role);
  const now = new Date();
  const [list, waiting] = await Promise.all([listRequests(user, { ...filter, view }, now), countWaitingForMe(user, now)]);
  const status = view === "waiting" ? undefined : filter.status;
  const query = (extra: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ view, status, ...extra })) if (v) p.set(k, v);
    return `/promotions?${p.toString()}`;
  };

  return (
    <>
      <PageHeader title="Promotions" description="Requests to move a pin, with their evidence and approvals. Nobody approves their own request." />
      <nav aria-label="Request views" className="mb-4 flex flex-wrap gap-1 border-b border-zinc-200 dark:border-zinc-800">
        {views.map((v) => (
          <Link
            key={v.view}
            href={`/promotions?view=${v.view}`}
            aria-current={v.view === view ? "page" : undefined}
            className={cn(
              "-mb-px border-b-2 px-3 py-2 text-sm font-medium",
              v.view === view
                ? "border-indigo-600 text-zinc-900 dark:text-zinc-100"
                : "border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100",
            )}
          >
            {v.label}
            {v.view === "waiting" ? <span className="ml-1 rounded-full bg-zinc-100 px-1.5 text-xs dark:bg-zinc-800">{waiting}</span> : null}
          </Link>
        ))}
      </nav>

      {view !== "waiting" ? (
        <form method="get" action="/promotions" role="search" aria-label="Filter requests" className="mb-4 flex flex-wrap items-end gap-3">
          <input type="hidden" name="view" value={view} />
          <FilterSelect id="filter-status" name="status" label="Status" value={status} all="Any status" options={REQUEST_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))} className="w-44" />
          <button type="submit" className={buttonClass("secondary")}>
            Filter
          </button>
        </form>
      ) : null}

      {list.requests.length === 0 ? (
        <EmptyState title={status ? `No ${STATUS_LABELS[status].toLowerCase()} requests here` : EMPTY[view].title}>{EMPTY[view].body}</EmptyState>
      ) : (
        <RequestsTable requests={list.requests} now={now} />
      )}
      <div className="mt-4 flex gap-2">
        {filter.before ? (
          <Link href={query({})} className={buttonClass("secondary")}>
            Newest
          </Link>
        ) : null}
        {list.next ? (
          <Link href={query({ before: list.next })} className={buttonClass("secondary")}>
            Older requests
          </Link>
        ) : null}
      </div>
    </>
  );
}
