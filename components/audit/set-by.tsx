import Link from "next/link";
import { textLinkClass } from "@/components/ui/text-link";

/** A pin set by a promotion request: its number, the requester and the approvers (in order). */
export type PromotedByView = { requestId: string; number: number; requestedBy: string; approvedBy: string[] };

export function promotedByText(p: PromotedByView): string {
  const approved = p.approvedBy.length ? `approved by ${p.approvedBy.join(", ")}` : "no approval needed";
  return `Requested by ${p.requestedBy}; ${approved}`;
}

/** "Requested by A; approved by B, C (request #12)", the request linked. Server and client. */
export function PromotedBy({ value, className }: { value: PromotedByView; className?: string }) {
  return (
    <div data-testid="promoted-by" className={className}>
      {promotedByText(value)} (
      <Link href={`/promotions/${encodeURIComponent(value.requestId)}`} className={textLinkClass}>
        request #{value.number}
      </Link>
      )
    </div>
  );
}
