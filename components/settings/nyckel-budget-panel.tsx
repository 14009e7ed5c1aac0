"use client";

import { routeErrorMessage } from "@/lib/api/error-body";
import { useQuery } from "@tanstack/react-query";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { ListTable, Td, Th } from "@/components/ui/table";
import type { BudgetView } from "@/lib/nyckel-settings/budget-view";

export const budgetKeys = { view: () => ["nyckel-budget", "view"] as const };

const MODES: Record<BudgetView["mode"], { tone: "green" | "amber" | "neutral"; label: string; hint: string }> = {
  leased: { tone: "green", label: "Leased", hint: "This server holds a lease on its share of the budget." },
  fallback: {
    tone: "amber",
    label: "Fallback",
    hint: "This server cannot reach the database, so it runs on a safe local share of the budget until it can.",
  },
  idle: { tone: "neutral", label: "Idle", hint: "This server has not called Nyckel yet." },
};

const CLASS_LABELS: Record<BudgetView["classes"][number]["name"], string> = {
  serving: "Serving (invoke proxy)",
  interactive: "Interactive (quick compare, model check, sync)",
  batch: "Batch (comparison runs, scheduled work)",
  shadow: "Shadow (only when a permit is free)",
};

async function fetchBudget(): Promise<BudgetView> {
  const res = await fetch("/api/settings/nyckel/budget", { cache: "no-store" });
  if (!res.ok) {
    throw new Error(routeErrorMessage(await res.json().catch(() => null), res.status));
  }
  return res.json() as Promise<BudgetView>;
}

function ago(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
}

/** Settings → Nyckel: the shared Nyckel budget, live (polled every second). */
export function NyckelBudgetPanel() {
  const { data, error, isPending } = useQuery({ queryKey: budgetKeys.view(), queryFn: fetchBudget, refetchInterval: 1000 });
  return (
    <section aria-labelledby="budget-heading" aria-busy={isPending} className="space-y-4" data-testid="budget-panel">
      <div>
        <h2 id="budget-heading" className="text-lg font-semibold">
          Budget
        </h2>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Nyckel&apos;s limits are per account, so every Modelpin process shares one budget: serving first, then interactive work, then
          batch work. Updated every second.
        </p>
      </div>
      {error ? <Alert>{data ? `Not updating: ${error.message}` : `The budget could not be loaded: ${error.message}`}</Alert> : null}
      {isPending ? <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading the budget…</p> : null}
      {data ? <BudgetDetails view={data} /> : null}
    </section>
  );
}

function BudgetDetails({ view }: { view: BudgetView }) {
  const mode = MODES[view.mode];
  const backingOff = view.effectiveRate !== null && view.effectiveRate < view.limitRate;
  return (
    <>
      <dl className="grid gap-3 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-zinc-500">This server</dt>
          <dd className="mt-1" data-testid="budget-mode">
            <Badge tone={mode.tone}>{mode.label}</Badge>
          </dd>
        </div>
        <div>
          <dt className="text-zinc-500">Effective rate</dt>
          <dd className="mt-1" data-testid="budget-effective-rate">
            {view.effectiveRate === null ? "—" : `${view.effectiveRate}/s`} of {view.limitRate}/s, {view.limitConcurrency} in flight
            {backingOff ? <span className="block text-amber-700 dark:text-amber-300">Backing off after Nyckel answered 429</span> : null}
          </dd>
        </div>
        <div>
          <dt className="text-zinc-500">Nyckel 429s (this server)</dt>
          <dd className="mt-1 tabular-nums">{view.nyckel429}</dd>
        </div>
      </dl>
      <p className="text-xs text-zinc-500">{mode.hint}</p>
      <ListTable aria-label="Budget by class" columns={["Class", { label: "Rate now", align: "right" }, { label: "In flight", align: "right" }, { label: "Refused (this server)", align: "right" }]}>
        {view.classes.map((c) => (
          <tr key={c.name}>
            <Th scope="row" className="text-left font-normal">
              {CLASS_LABELS[c.name]}
            </Th>
            <Td align="right" className="tabular-nums">
              {c.rate}/s
            </Td>
            <Td align="right" className="tabular-nums">
              {c.inFlight}
            </Td>
            <Td align="right" className="tabular-nums">
              {c.refused}
            </Td>
          </tr>
        ))}
      </ListTable>
      <ProcessTable processes={view.processes} />
    </>
  );
}

function ProcessTable({ processes }: { processes: BudgetView["processes"] }) {
  if (processes.length === 0) {
    return (
      <div className="rounded-lg border border-dashed border-zinc-300 px-4 py-6 text-center text-sm dark:border-zinc-700" data-testid="budget-no-leases">
        <p className="font-medium">No process has called Nyckel yet</p>
        <p className="mt-1 text-zinc-600 dark:text-zinc-400">A process takes a lease on its share of the budget on its first Nyckel call.</p>
      </div>
    );
  }
  return (
    <ListTable aria-label="Processes holding leases" columns={["Role", "Host", { label: "PID", align: "right" }, { label: "Share", align: "right" }, { label: "Renewed", align: "right" }]}>
      {processes.map((p) => (
        <tr key={p.processId}>
          <Td>
            {p.role}
            {p.self ? <span className="ml-2 text-xs text-zinc-500">(this server)</span> : null}
          </Td>
          <Td>{p.host}</Td>
          <Td align="right" className="tabular-nums">
            {p.pid}
          </Td>
          <Td align="right" className="tabular-nums">
            {Math.round(p.share * 100)}% · {p.grantedRate}/s · {p.grantedConcurrency} in flight
          </Td>
          <Td align="right" className="tabular-nums">
            {ago(p.renewedAgoMs)}
          </Td>
        </tr>
      ))}
    </ListTable>
  );
}
