import Link from "next/link";
import { Time } from "@/components/ui/time";
import type { RequestListRow } from "@/lib/promotions/queries";
import { formatDuration, modelText, pct } from "./format";
import { RequestStatusBadge } from "./status-badge";

/** The list of /promotions (server-rendered; rows link to the request page). */
export function RequestsTable({ requests, now }: { requests: RequestListRow[]; now: Date }) {
  return (
    <div className="overflow-x-auto rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800">
      <table className="min-w-full divide-y divide-zinc-200 bg-white text-sm dark:divide-zinc-800 dark:bg-zinc-900" data-testid="requests-table">
        <thead className="bg-zinc-50 text-left text-xs uppercase tracking-wide text-zinc-500 dark:bg-zinc-900">
          <tr>
            <th scope="col" className="px-4 py-2">Request</th>
            <th scope="col" className="px-4 py-2">Change</th>
            <th scope="col" className="px-4 py-2">Requested</th>
            <th scope="col" className="px-4 py-2">Approvals</th>
            <th scope="col" className="px-4 py-2">Evidence</th>
            <th scope="col" className="px-4 py-2">Status</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {requests.map((r) => (
            <tr key={r.id} className="align-top" data-testid="request-row" data-number={r.number}>
              <td className="px-4 py-3">
                <Link href={`/promotions/${r.id}`} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                  #{r.number}
                </Link>
                <div className="text-xs text-zinc-500">{r.function.name}</div>
              </td>
              <td className="px-4 py-3">
                <div className="font-medium">{r.environment.name}</div>
                <div className="text-xs text-zinc-600 dark:text-zinc-400">
                  {modelText({ modelId: r.baseModelId, nickname: r.baseNickname })} → <span className="text-zinc-900 dark:text-zinc-100">{modelText({ modelId: r.targetModelId, nickname: r.targetNickname })}</span>
                </div>
              </td>
              <td className="px-4 py-3 text-zinc-600 dark:text-zinc-400">
                <div>{r.requestedByName}</div>
                <Time value={r.createdAt} className="text-xs" />
                <div className="max-w-xs truncate text-xs" title={r.reason}>
                  {r.reason}
                </div>
              </td>
              <td className="px-4 py-3">
                {r.approvals} of {r.approvalsRequired}
                {r.rejections ? <div className="text-xs text-red-700 dark:text-red-400">{r.rejections} rejected</div> : null}
                {r.decidedByMe ? <div className="text-xs text-zinc-500">you {r.decidedByMe === "approve" ? "approved" : "rejected"}</div> : null}
              </td>
              <td className="px-4 py-3">{r.agreement !== null ? `${pct(r.agreement)} agreement` : <span className="text-zinc-400">none</span>}</td>
              <td className="px-4 py-3">
                <RequestStatusBadge status={r.status} expiredUnmarked={r.expiredUnmarked} />
                {r.status === "pending" && r.expiresAt && !r.expiredUnmarked ? (
                  <div className="mt-1 text-xs text-zinc-500">expires in {formatDuration(r.expiresAt.getTime() - now.getTime())}</div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
