import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import type { DeliveryRow } from "@/lib/webhooks/queries";
import { DeliveryStatus } from "./webhook-bits";

/** A webhook's delivery log: one row per attempt, newest first, with keyset pages. */
export function DeliveryLog({ webhookId, rows, nextCursor, isFirstPage }: { webhookId: string; rows: DeliveryRow[]; nextCursor: string | null; isFirstPage: boolean }) {
  if (rows.length === 0) {
    return (
      <EmptyState title={isFirstPage ? "No deliveries yet" : "No older deliveries"}>
        {isFirstPage
          ? "Every attempt to deliver an event (and every test) appears here, with the receiver's status code, how long it took, and the start of its answer. Use “Send test” to try the URL now."
          : null}
      </EmptyState>
    );
  }
  return (
    <div className="space-y-3">
      <ListTable data-testid="delivery-log" columns={["Time", "Event", "Attempt", "Status", { label: "Duration", align: "right" }, "Error", "Response"]} density="compact" bodyClassName="align-top" caption={<caption className="sr-only">Delivery attempts, newest first</caption>}>
        {rows.map((d) => (
          <tr key={d.id} data-testid="delivery-row">
            <Td density="compact" className="whitespace-nowrap">
              <Time value={d.createdAt} className="text-xs" />
            </Td>
            <Td density="compact">
              <span className="flex flex-wrap items-center gap-1">
                <code className="font-mono text-xs">{d.eventType}</code>
                {d.eventId ? null : <Badge>test</Badge>}
              </span>
              {d.eventId ? (
                <span className="block font-mono text-[11px] text-zinc-500" title={`X-Modelpin-Delivery: ${d.eventId}`}>
                  {d.eventId.slice(0, 8)}
                </span>
              ) : null}
            </Td>
            <Td density="compact" className="tabular-nums">{d.attempt}</Td>
            <Td density="compact">
              <DeliveryStatus statusCode={d.statusCode} error={d.error} />
            </Td>
            <Td align="right" density="compact" className="tabular-nums whitespace-nowrap">{d.durationMs === null ? "—" : `${d.durationMs} ms`}</Td>
            <Td density="compact" className="max-w-xs text-xs text-red-700 dark:text-red-300">{d.error ?? <span className="text-zinc-500">—</span>}</Td>
            <Td density="compact" className="max-w-sm text-xs">
              {d.responseBody ? (
                <details>
                  <summary className="cursor-pointer truncate font-mono text-zinc-600 dark:text-zinc-400">{d.responseBody.slice(0, 60)}</summary>
                  <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-50 p-2 font-mono text-[11px] dark:bg-zinc-950">
                    {d.responseBody}
                  </pre>
                </details>
              ) : (
                <span className="text-zinc-500">—</span>
              )}
            </Td>
          </tr>
        ))}
      </ListTable>
      <nav aria-label="Delivery log pages" className="flex gap-2">
        {isFirstPage ? null : (
          <Link href={`/settings/webhooks/${webhookId}`} className={buttonClass("secondary")}>
            Newest deliveries
          </Link>
        )}
        {nextCursor ? (
          <Link href={`/settings/webhooks/${webhookId}?cursor=${encodeURIComponent(nextCursor)}`} className={buttonClass("secondary")}>
            Older deliveries
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
