import { textLinkClass } from "@/components/ui/text-link";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { ListTable, Td, Th } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import type { DriftCell, DriftFunction, DriftOverview } from "@/lib/drift/queries";
import { EvaluateNowButton } from "./evaluate-now-button";

const STATUS: Record<string, { label: string; tone: "neutral" | "indigo" | "green" | "amber" | "red" }> = {
  running: { label: "Evaluating", tone: "indigo" },
  candidate_opened: { label: "Candidate opened", tone: "green" },
  rejected: { label: "Rejected", tone: "red" },
  awaiting_model_id: { label: "Needs a model id", tone: "amber" },
  superseded: { label: "Superseded", tone: "neutral" },
  failed: { label: "Failed", tone: "red" },
};

const pct = (x: number) => `${Math.round(x * 100)}%`;

function LastEvaluation({ cell }: { cell: DriftCell }) {
  const last = cell.last;
  return (
    <div className="space-y-1">
      {last ? (
        <>
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone={STATUS[last.status]?.tone ?? "neutral"}>{STATUS[last.status]?.label ?? last.status}</Badge>
            <span className="font-mono text-xs">{last.candidate}</span>
            {last.agreement ? (
              <span data-testid="drift-agreement">
                agreement {pct(last.agreement.rate)} <span className="text-zinc-500">(95% CI {pct(last.agreement.low)}–{pct(last.agreement.high)})</span>
              </span>
            ) : null}
          </div>
          {last.verdict && last.status !== "running" ? <p className="text-xs text-zinc-600 dark:text-zinc-400">{last.verdict}</p> : null}
          <div className="flex flex-wrap gap-3 text-xs">
            <Time value={last.createdAt} className="text-zinc-500" />
            {last.runId ? (
              <Link href={`/comparisons/${last.runId}`} className={textLinkClass}>
                Report
              </Link>
            ) : null}
            {last.request ? (
              <Link href={`/promotions/${last.request.id}`} className={textLinkClass}>
                Request #{last.request.number} ({last.request.status})
              </Link>
            ) : null}
          </div>
        </>
      ) : (
        <span className="text-zinc-500">Not evaluated yet</span>
      )}
      {cell.skipped ? <p className="text-xs text-zinc-500">Last request skipped: {cell.skipped.reason}</p> : null}
    </div>
  );
}

function FunctionDrift({ fn, environments, canEvaluate }: { fn: DriftFunction; environments: DriftOverview["environments"]; canEvaluate: boolean }) {
  return (
    <section data-testid={`drift-${fn.id}`} className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h3 className="font-medium">
            <Link href={`/functions/${encodeURIComponent(fn.id)}`} className={textLinkClass}>
              {fn.name}
            </Link>
          </h3>
          <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="drift-latest">
            Nyckel&apos;s latest model:{" "}
            {fn.latest ? <span className="font-mono">{fn.latest.label}</span> : <span className="text-amber-700 dark:text-amber-300">Nyckel reports no current model id</span>}
            {" · "}golden set “{fn.goldenSet.name}”
          </p>
        </div>
        {canEvaluate ? <EvaluateNowButton functionId={fn.id} functionName={fn.name} /> : null}
      </div>
      <ListTable columns={["Environment", "Pin", "Behind", "Last evaluation"]} frameClassName="mt-3" density="compact">
        {fn.cells.map((cell, i) => {
          const env = environments[i]!;
          return (
            <tr key={env.id} data-testid={`drift-row-${env.slug}`} className="align-top">
              <Th scope="row" className="text-left font-medium">
                {env.name}
                {env.watching ? null : <span className="block text-xs font-normal text-zinc-500">not watching</span>}
              </Th>
              <Td>
                <span className="font-mono text-xs" data-testid="drift-pin">
                  {cell.pin.label}
                </span>
              </Td>
              <Td data-testid="drift-behind">
                {cell.behind === null ? (
                  <span className="text-zinc-500">follows latest</span>
                ) : cell.behind === 0 ? (
                  <span className="text-zinc-500">up to date</span>
                ) : (
                  <Badge tone="amber">{cell.behind} behind</Badge>
                )}
              </Td>
              <Td>
                <LastEvaluation cell={cell} />
              </Td>
            </tr>
          );
        })}
      </ListTable>
    </section>
  );
}

/** The overview's drift watch panel (data: lib/drift/queries.ts). */
export function DriftPanel({ drift, canEvaluate }: { drift: DriftOverview; canEvaluate: boolean }) {
  return (
    <section className="mt-8" aria-labelledby="drift-heading" data-testid="drift-panel">
      <h2 id="drift-heading" className="text-lg font-semibold">
        Drift watch
      </h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        New Nyckel models compared with each watching environment&apos;s pin on the function&apos;s golden set. “Behind” counts the models Nyckel
        reported since the pinned one.
      </p>
      <div className="mt-3 space-y-4">
        {drift.functions.map((fn) => (
          <FunctionDrift key={fn.id} fn={fn} environments={drift.environments} canEvaluate={canEvaluate} />
        ))}
      </div>
      {drift.withoutGoldenSet.length ? (
        <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400" data-testid="drift-no-golden">
          No golden set:{" "}
          {drift.withoutGoldenSet.map((f, i) => (
            <span key={f.id}>
              {i > 0 ? ", " : null}
              <Link href={`/functions/${encodeURIComponent(f.id)}#golden`} className={textLinkClass}>
                {f.name}
              </Link>
            </span>
          ))}
          . Mark one of a function&apos;s sample sets as golden in the Golden set section of its page, and drift watch evaluates its new models.
        </p>
      ) : null}
    </section>
  );
}
