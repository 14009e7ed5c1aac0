import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ShadowLive } from "@/components/shadow/shadow-live";
import { ShadowReport } from "@/components/shadow/shadow-report";
import { UseAsEvidence } from "@/components/shadow/use-as-evidence";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { textLinkClass } from "@/components/ui/text-link";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { getShadowLiveState, getShadowReportView } from "@/lib/shadow/queries-ui";
import { SHADOW_PERMISSION } from "@/lib/shadow/service";
import { decodeParam } from "@/lib/url";

export const metadata: Metadata = { title: "Shadow evaluation" };

const STATE = { active: <Badge tone="green">active</Badge>, ended: <Badge>ended</Badge>, stopped: <Badge>stopped</Badge> } as const;

export default async function ShadowReportPage({ params }: { params: Promise<{ functionId: string; shadowId: string }> }) {
  const { functionId: rawId, shadowId } = await params;
  const user = await requirePagePermission("functions:read");
  const functionId = decodeParam(rawId);
  const [view, live] = await Promise.all([getShadowReportView(functionId, shadowId), getShadowLiveState(shadowId)]);
  if (!view || !live) notFound();
  const { report, functionName, servedLabel } = view;
  const s = report.shadow;
  const counts = report.traffic;
  const dropped = counts.dropped.budget + counts.dropped.cap + counts.dropped.tooLarge;
  const fnHref = `/functions/${encodeURIComponent(s.functionId)}`;
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={`${fnHref}#shadow`} className={textLinkClass}>
          ← {functionName}
        </Link>
      </p>
      <PageHeader
        title={`${functionName}: shadow in ${s.environment.name}`}
        description={
          <>
            Served = <strong>{servedLabel}</strong> ({s.environment.name}&apos;s pin), candidate = <strong>{s.candidate.label}</strong>. {s.sharePct}% of proxied calls,
            at most {s.maxPerSecond}/s, started by {s.createdBy} at <Time value={s.createdAt} />,{" "}
            {s.state === "active" ? "ends" : s.state === "stopped" ? `stopped by ${s.stoppedBy ?? "someone"}` : "ended"} at <Time value={s.stoppedAt ?? s.endsAt} />.{" "}
            {s.keepInputs ? "Disagreeing inputs are kept." : "Only a SHA-256 of each input is stored."}
          </>
        }
        actions={STATE[s.state]}
      />
      <ShadowLive shadowId={s.id} initial={live} />
      <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="shadow-mirrored" aria-live="polite">
        {counts.mirrored.toLocaleString("en-US")} of {counts.sampled.toLocaleString("en-US")} requests chosen for mirroring recorded (
        {counts.seen.toLocaleString("en-US")} proxied while it ran), from <Time value={report.window.from} /> to <Time value={report.window.to} />.
      </p>
      {counts.mirrored === 0 ? (
        <div className="mt-6" data-testid="shadow-empty">
          <EmptyState title="No mirrored requests yet">
            {s.state === "active"
              ? `Calls to ${functionName} through Modelpin's invoke proxy with a ${s.environment.name} token appear here within seconds. This page refreshes by itself.`
              : "This shadow recorded no request before it ended."}
            {dropped > 0 ? (
              <span className="mt-2 block" data-testid="shadow-empty-drops">
                {dropped.toLocaleString("en-US")} chosen so far were dropped: {counts.dropped.budget.toLocaleString("en-US")} for want of spare Nyckel budget (serving and
                comparisons come first; the shadow gets a share within seconds once they leave one), {counts.dropped.cap.toLocaleString("en-US")} over the calls-per-second
                cap, {counts.dropped.tooLarge.toLocaleString("en-US")} with a body over 1 MB.
              </span>
            ) : null}
          </EmptyState>
        </div>
      ) : (
        <>
          {can(user.role, "requests:create") && can(user.role, SHADOW_PERMISSION) ? (
            <UseAsEvidence shadowId={s.id} environmentName={s.environment.name} candidateLabel={s.candidate.label} mirrored={counts.mirrored} />
          ) : null}
          <ShadowReport report={report} />
        </>
      )}
    </>
  );
}
