import { Badge } from "@/components/ui/badge";
import { WEBHOOK_EVENT_LABELS, type WebhookEventType } from "@/lib/webhooks/event-types";

/** Small presentational pieces shared by the webhook list, the detail page and the delivery log. */

export function EventList({ events }: { events: string[] }) {
  return (
    <ul className="flex max-w-sm flex-wrap gap-1" aria-label="Events">
      {events.map((e) => (
        <li key={e}>
          <Badge tone="indigo" className="font-mono" >
            <span title={WEBHOOK_EVENT_LABELS[e as WebhookEventType] ?? e}>{e}</span>
          </Badge>
        </li>
      ))}
    </ul>
  );
}

export function FormatBadge({ format }: { format: string }) {
  return <Badge>{format === "slack" ? "Slack" : "JSON"}</Badge>;
}

/** The outcome of one attempt: the HTTP status (green for 2xx) or "no response". */
export function DeliveryStatus({ statusCode, error }: { statusCode: number | null; error: string | null }) {
  const gaveUp = Boolean(error?.includes("Gave up after"));
  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
  return (
    <span className="inline-flex items-center gap-1">
      {statusCode !== null ? (
        <Badge tone={ok ? "green" : "red"}>
          <span className="sr-only">HTTP </span>
          {statusCode}
        </Badge>
      ) : (
        <Badge tone="red">no response</Badge>
      )}
      {gaveUp ? <Badge tone="amber">gave up</Badge> : null}
    </span>
  );
}
