import Link from "next/link";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import type { RequestListRow } from "@/lib/promotions/queries";
import { formatDuration, modelText, pct } from "./format";
import { RequestStatusBadge } from "./status-badge";
import { textLinkClass } from "@/components/ui/text-link";

/** The list of /promotions (server-rendered; rows link to the request page). */
export function RequestsTable({ requests, now }: { requests: RequestListRow[]; now: Date }) {
  return (
    <ListTable data-testid="requests-table" columns={["Request", "Change", "Requested", "Approvals", "Evidence", "Status"]}>
      {requests.map((r) => (
        <tr key={r.id} className="align-top" data-testid="request-row" data-number={r.number}>
          <Td density="relaxed">
            <Link href={`/promotions/${r.id}`} className={`font-medium ${textLinkClass}`}>
              #{r.number}
            </Link>
            <div className="text-xs text-zinc-500">{r.function.name}</div>
          </Td>
          <Td density="relaxed">
            <div className="font-medium">{r.environment.name}</div>
            <div className="text-xs text-zinc-600 dark:text-zinc-400">
              {modelText({ modelId: r.baseModelId, nickname: r.baseNickname })} → <span className="text-zinc-900 dark:text-zinc-100">{modelText({ modelId: r.targetModelId, nickname: r.targetNickname })}</span>
            </div>
          </Td>
          <Td density="relaxed" className="text-zinc-600 dark:text-zinc-400">
            <div>{r.requestedByName}</div>
            <Time value={r.createdAt} className="text-xs" />
            <div className="max-w-xs truncate text-xs" title={r.reason}>
              {r.reason}
            </div>
          </Td>
          <Td density="relaxed">
            {r.approvals} of {r.approvalsRequired}
            {r.rejections ? <div className="text-xs text-red-700 dark:text-red-400">{r.rejections} rejected</div> : null}
            {r.decidedByMe ? <div className="text-xs text-zinc-500">you {r.decidedByMe === "approve" ? "approved" : "rejected"}</div> : null}
          </Td>
          <Td density="relaxed">{r.agreement !== null ? `${pct(r.agreement)} agreement` : <span className="text-zinc-500">none</span>}</Td>
          <Td density="relaxed">
            <RequestStatusBadge status={r.status} expiredUnmarked={r.expiredUnmarked} />
            {r.status === "pending" && r.expiresAt && !r.expiredUnmarked ? (
              <div className="mt-1 text-xs text-zinc-500">expires in {formatDuration(r.expiresAt.getTime() - now.getTime())}</div>
            ) : null}
          </Td>
        </tr>
      ))}
    </ListTable>
  );
}
