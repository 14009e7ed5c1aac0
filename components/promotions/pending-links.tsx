import Link from "next/link";

export type PendingLink = { id: string; number: number; targetModelId: string | null; requestedBy: string };

/** "Request #12 pending → model_…" links under a pin (overview, function page). */
export function PendingLinks({ requests }: { requests: PendingLink[] | undefined }) {
  if (!requests?.length) return null;
  return (
    <ul className="mt-1 space-y-0.5 text-xs" data-testid="pending-requests">
      {requests.map((r) => (
        <li key={r.id}>
          <Link href={`/promotions/${r.id}`} className="font-medium text-amber-800 underline dark:text-amber-300">
            Request #{r.number} pending
          </Link>{" "}
          <span className="text-zinc-600 dark:text-zinc-400">
            → <span className="font-mono">{r.targetModelId ?? "latest"}</span> (by {r.requestedBy})
          </span>
        </li>
      ))}
    </ul>
  );
}
