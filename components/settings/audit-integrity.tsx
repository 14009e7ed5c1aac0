"use client";

import { useAction } from "next-safe-action/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { actionErrors } from "@/components/ui/action-errors";
import { formatUtc } from "@/components/ui/time";
import { verifyAuditChainAction } from "@/lib/audit/actions";

/** Settings → Audit integrity: the same check as `npm run audit:verify`. */
export function AuditIntegrity() {
  const { execute, result, isPending } = useAction(verifyAuditChainAction);
  const { message } = actionErrors(result);
  const data = result.data;
  return (
    <section aria-labelledby="integrity-heading" className="max-w-2xl space-y-4">
      <h2 id="integrity-heading" className="text-lg font-semibold">
        Audit integrity
      </h2>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Every audit event carries the hash of the one before it, and a head signed with a key the database does not hold records how many events
        there are and how the newest hashes; periodically that head also goes out as an <code className="font-mono">audit.checkpoint</code> webhook, so a system outside the database holds it.
        Verifying walks the whole chain and reports an event that was changed, removed or inserted, newest events that were deleted, and a log
        rewritten with recomputed hashes. The command line does the same: <code className="font-mono">npm run audit:verify</code>.
      </p>
      <Button onClick={() => execute()} pending={isPending}>
        {isPending ? "Verifying…" : "Verify the audit log"}
      </Button>
      {message ? <Alert>{message}</Alert> : null}
      {data ? (
        data.ok ? (
          <Alert tone="success">
            <span data-testid="verify-result">ok {data.count} events</span>
            <span className="block text-xs">
              The chain is intact and matches its signed head ({data.ms} ms, {formatUtc(data.checkedAt)}). Last hash{" "}
              <code className="font-mono">{data.lastHash.slice(0, 16)}…</code>
            </span>
            <span className="block text-xs" data-testid="verify-checkpoint">
              {data.checkpoint
                ? `Latest checkpoint: ${formatUtc(data.checkpoint.at)} (${data.checkpoint.count} events${data.checkpoint.kind === "reanchor" ? ", re-anchored" : ""}).`
                : "No checkpoint recorded yet."}
            </span>
            {data.note ? <span className="block text-xs">{data.note}</span> : null}
          </Alert>
        ) : (
          <Alert>
            <span data-testid="verify-result">
              {data.brokenAt ? `Broken at event ${data.brokenAt} (after ${data.count} good events)` : `Not intact (${data.count} events checked)`}
            </span>
            <span className="block">{data.problem}</span>
          </Alert>
        )
      ) : null}
    </section>
  );
}
