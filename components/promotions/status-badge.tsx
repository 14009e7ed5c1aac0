import { Badge } from "@/components/ui/badge";
import { STATUS_LABELS, type RequestStatus } from "@/lib/promotions/schemas";

const TONES: Record<RequestStatus, "neutral" | "indigo" | "green" | "amber" | "red"> = {
  pending: "indigo",
  applied: "green",
  rejected: "red",
  cancelled: "neutral",
  expired: "amber",
  stale: "amber",
};

/** A request's status; a pending request past its expiry reads "Expired" even before the job marks it. */
export function RequestStatusBadge({ status, expiredUnmarked = false }: { status: string; expiredUnmarked?: boolean }) {
  const s = (expiredUnmarked ? "expired" : status) as RequestStatus;
  return (
    <span data-testid="request-status" data-status={s}>
      <Badge tone={TONES[s] ?? "neutral"}>{STATUS_LABELS[s] ?? status}</Badge>
    </span>
  );
}
