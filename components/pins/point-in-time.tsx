import Link from "next/link";
import { PendingLinks, type PendingLink } from "@/components/promotions/pending-links";
import { buttonClass } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { ListTable, Td, Th } from "@/components/ui/table";
import { Time, formatUtc } from "@/components/ui/time";
import type { PinOverview } from "@/lib/pins/queries";
import { ShadowMark } from "@/components/shadow/shadow-mark";
import { BreakGlassBadge } from "./model-ref";
import { textLinkClass } from "@/components/ui/text-link";

/** A GET form choosing the point in time (`?at=`); empty = now. */
export function PointInTimeForm({ action, value, anchor }: { action: string; value: string; anchor?: string }) {
  return (
    <form method="get" action={anchor ? `${action}#${anchor}` : action} className="flex flex-wrap items-end gap-2" role="search" aria-label="Point in time">
      <div>
        <label htmlFor={`at-${anchor ?? "overview"}`} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
          As of (UTC)
        </label>
        <input
          id={`at-${anchor ?? "overview"}`}
          name="at"
          defaultValue={value}
          placeholder="2026-03-01T14:30"
          autoComplete="off"
          className={inputClass + " w-64 font-mono"}
        />
      </div>
      <button type="submit" className={buttonClass("secondary")}>
        Show
      </button>
      {value ? (
        <Link href={anchor ? `${action}#${anchor}` : action} className={buttonClass("ghost")}>
          Now
        </Link>
      ) : null}
    </form>
  );
}

/**
 * Functions × environments: the pinned model in each cell (now, or as of `at`). `shadows` holds the
 * `${functionId} ${environmentId}` cells with a shadow evaluation running now (marked, linking to it).
 */
export function PointInTimeTable({
  overview,
  at,
  pending,
  shadows,
}: {
  overview: PinOverview;
  at: Date | null;
  pending?: Map<string, PendingLink[]>;
  shadows?: ReadonlySet<string>;
}) {
  return (
    <ListTable
      data-testid="pin-matrix"
      columns={["Function", ...overview.environments.map((e) => ({ label: e.name, key: e.id }))]}
      frameClassName="mt-3"
      caption={<caption className="px-4 py-2 text-left text-xs text-zinc-500">{at ? <>Pins as of {formatUtc(at)}</> : "Pins now"}</caption>}
    >
      {overview.functions.map((f) => (
        <tr key={f.id} data-testid={`matrix-${f.id}`} className="align-top">
          <Th scope="row" className="text-left font-medium">
            <Link href={`/functions/${encodeURIComponent(f.id)}`} className={textLinkClass}>
              {f.name}
            </Link>
          </Th>
          {f.cells.map((c, i) => {
            const env = overview.environments[i]!;
            return (
              <Td key={env.id} data-testid={`cell-${env.slug}`}>
                {c.modelId ? (
                  <>
                    <div className="font-medium">{c.nickname || "(no nickname)"}</div>
                    <code className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{c.modelId}</code>
                  </>
                ) : (
                  <span className="text-zinc-500">latest — not pinned</span>
                )}
                <div className="text-xs text-zinc-500">
                  v{c.version}
                  {c.updatedAt ? (
                    <>
                      {" "}
                      · <Time value={c.updatedAt} />
                    </>
                  ) : null}
                </div>
                {c.breakGlass ? <BreakGlassBadge /> : null}
                {at ? null : <PendingLinks requests={pending?.get(`${f.id} ${env.id}`)} />}
                {!at && shadows?.has(`${f.id} ${env.id}`) ? <ShadowMark functionId={f.id} functionName={f.name} environmentName={env.name} /> : null}
              </Td>
            );
          })}
        </tr>
      ))}
    </ListTable>
  );
}
