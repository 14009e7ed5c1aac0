import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { InlineTable, type TableColumn } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import type { EnvironmentTraffic } from "@/lib/serving/queries";

const MODEL_COLUMNS: TableColumn[] = [
  "Model served",
  { label: "Calls", align: "right" },
  { label: "Errors", align: "right" },
  { label: <abbr title="Refused by Modelpin's Nyckel budget (429 budget_exhausted)">Budget 429</abbr>, key: "budget429", align: "right" },
  { label: "Nyckel 429", align: "right" },
  "First",
  "Last",
];

const count = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

function ModelName({ modelId, nickname }: { modelId: string; nickname: string | null }) {
  if (modelId === "latest") return <span>latest</span>;
  return (
    <span>
      <span className="font-mono">{modelId}</span>
      {nickname ? <span className="text-zinc-500"> ({nickname})</span> : null}
    </span>
  );
}

/**
 * Conformance of applications to the pins: calls made through Modelpin's invoke
 * proxy for one function, per environment and served model (ProxyUsage).
 */
export function TrafficPanel({ traffic }: { traffic: EnvironmentTraffic[] }) {
  const active = traffic.filter((t) => t.totalCalls > 0);
  const quiet = traffic.filter((t) => t.totalCalls === 0);
  if (active.length === 0) {
    return (
      <p className="rounded-lg border border-dashed border-zinc-300 bg-white px-4 py-6 text-sm text-zinc-600 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-400">
        No application has invoked this function through Modelpin&apos;s proxy yet. Applications switch their Nyckel base URL to Modelpin and use an
        environment token; see the <Link href="/api-docs" className="text-indigo-600 underline dark:text-indigo-400">API docs</Link>.
      </p>
    );
  }
  return (
    <div className="space-y-4">
      {active.map((t) => (
        <div
          key={t.environment.id}
          className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
          data-testid={`traffic-${t.environment.slug}`}
        >
          <p className="text-sm" data-testid="traffic-headline">
            <strong>{t.environment.name}</strong> traffic:{" "}
            {t.onPinned.calls > 0 ? (
              <>
                {plural(t.onPinned.calls, "call")} on <ModelName modelId={t.pinnedModelId} nickname={t.pinnedNickname} /> since{" "}
                <Time value={t.onPinned.since!} />
              </>
            ) : (
              <>
                no calls yet on the current pin, <ModelName modelId={t.pinnedModelId} nickname={t.pinnedNickname} />
              </>
            )}
            .
          </p>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
            {t.otherCalls > 0 ? <Badge tone="amber">{plural(t.otherCalls, "call")} on other models</Badge> : <Badge tone="green">all on the pin</Badge>}
            {t.totalErrors > 0 ? <Badge tone="red">{plural(t.totalErrors, "error")}</Badge> : null}
            {t.budgetRefused > 0 ? (
              <span data-testid="traffic-budget-refused" title="Modelpin answered 429 budget_exhausted: its Nyckel budget had no room within the short wait">
                <Badge tone="amber">{plural(t.budgetRefused, "call")} refused by the Nyckel budget</Badge>
              </span>
            ) : null}
            {t.nyckel429 > 0 ? (
              <span data-testid="traffic-nyckel-429" title="Nyckel itself answered 429 (another client of the same Nyckel account)">
                <Badge tone="red">{plural(t.nyckel429, "Nyckel 429")}</Badge>
              </span>
            ) : null}
            <span>
              {plural(t.totalCalls, "call")} in all, via {plural(t.tokenCount, "token")}
              {t.lastAt ? (
                <>
                  , last <Time value={t.lastAt} />
                </>
              ) : null}
            </span>
          </p>
          <InlineTable
            className="mt-3 min-w-full text-left text-sm"
            headClassName="text-xs uppercase tracking-wide text-zinc-500"
            caption={`Calls in ${t.environment.name} by served model`}
            columns={MODEL_COLUMNS}
          >
            {t.models.map((m) => (
              <tr key={m.modelId}>
                <td className="py-1 pr-4">
                  <ModelName modelId={m.modelId} nickname={m.nickname} /> {m.pinned ? <Badge tone="indigo">pinned now</Badge> : null}
                </td>
                <td className="py-1 pr-4 text-right tabular-nums">{count(m.calls)}</td>
                <td className="py-1 pr-4 text-right tabular-nums">{count(m.errorCalls)}</td>
                <td className="py-1 pr-4 text-right tabular-nums">{count(m.budgetRefusedCalls)}</td>
                <td className="py-1 pr-4 text-right tabular-nums">{count(m.nyckel429Calls)}</td>
                <td className="py-1 pr-4 text-xs">
                  <Time value={m.firstAt} />
                </td>
                <td className="py-1 text-xs">
                  <Time value={m.lastAt} />
                </td>
              </tr>
            ))}
          </InlineTable>
        </div>
      ))}
      {quiet.length > 0 ? (
        <p className="text-xs text-zinc-500">No proxy traffic in {quiet.map((t) => t.environment.name).join(", ")}.</p>
      ) : null}
    </div>
  );
}
