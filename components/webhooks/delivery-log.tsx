import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
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
      <div className="overflow-x-auto rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800">
        <table className="min-w-full divide-y divide-zinc-200 bg-white text-sm dark:divide-zinc-800 dark:bg-zinc-900" data-testid="delivery-log">
          <caption className="sr-only">Delivery attempts, newest first</caption>
          <thead className="bg-zinc-50 text-left text-xs uppercase tracking-wide text-zinc-500 dark:bg-zinc-900">
            <tr>
              <th scope="col" className="px-3 py-2">Time</th>
              <th scope="col" className="px-3 py-2">Event</th>
              <th scope="col" className="px-3 py-2">Attempt</th>
              <th scope="col" className="px-3 py-2">Status</th>
              <th scope="col" className="px-3 py-2 text-right">Duration</th>
              <th scope="col" className="px-3 py-2">Error</th>
              <th scope="col" className="px-3 py-2">Response</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 align-top dark:divide-zinc-800">
            {rows.map((d) => (
              <tr key={d.id} data-testid="delivery-row">
                <td className="px-3 py-2 whitespace-nowrap">
                  <Time value={d.createdAt} className="text-xs" />
                </td>
                <td className="px-3 py-2">
                  <span className="flex flex-wrap items-center gap-1">
                    <code className="font-mono text-xs">{d.eventType}</code>
                    {d.eventId ? null : <Badge>test</Badge>}
                  </span>
                  {d.eventId ? (
                    <span className="block font-mono text-[11px] text-zinc-500" title={`X-Modelpin-Delivery: ${d.eventId}`}>
                      {d.eventId.slice(0, 8)}
                    </span>
                  ) : null}
                </td>
                <td className="px-3 py-2 tabular-nums">{d.attempt}</td>
                <td className="px-3 py-2">
                  <DeliveryStatus statusCode={d.statusCode} error={d.error} />
                </td>
                <td className="px-3 py-2 text-right tabular-nums whitespace-nowrap">{d.durationMs === null ? "—" : `${d.durationMs} ms`}</td>
                <td className="max-w-xs px-3 py-2 text-xs text-red-700 dark:text-red-300">{d.error ?? <span className="text-zinc-400">—</span>}</td>
                <td className="max-w-sm px-3 py-2 text-xs">
                  {d.responseBody ? (
                    <details>
                      <summary className="cursor-pointer truncate font-mono text-zinc-600 dark:text-zinc-400">{d.responseBody.slice(0, 60)}</summary>
                      <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-50 p-2 font-mono text-[11px] dark:bg-zinc-950">
                        {d.responseBody}
                      </pre>
                    </details>
                  ) : (
                    <span className="text-zinc-400">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
