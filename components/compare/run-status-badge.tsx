import { Badge } from "@/components/ui/badge";

const TONES: Record<string, "neutral" | "indigo" | "green" | "amber" | "red"> = {
  queued: "neutral",
  running: "indigo",
  cancelling: "amber",
  cancelled: "amber",
  finished: "green",
  failed: "red",
};

export function RunStatusBadge({ status }: { status: string }) {
  return <Badge tone={TONES[status] ?? "neutral"}>{status}</Badge>;
}
