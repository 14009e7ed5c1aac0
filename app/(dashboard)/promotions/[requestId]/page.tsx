import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { EvidenceSummaryView } from "@/components/promotions/evidence-summary";
import { formatDuration, modelText, policyParts } from "@/components/promotions/format";
import { RequestActions } from "@/components/promotions/request-actions";
import { RequestLive } from "@/components/promotions/request-live";
import { RequestAgain } from "@/components/promotions/request-again";
import { RequestPromotionSection } from "@/components/promotions/request-section";
import { RequestStatusBadge } from "@/components/promotions/status-badge";
import { Alert } from "@/components/ui/alert";
import { Time } from "@/components/ui/time";
import { actionLabel } from "@/lib/audit/catalog";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { getRequestLiveState } from "@/lib/promotions/live-state";
import { getRequestDetail } from "@/lib/promotions/queries";
import { textLinkClass } from "@/components/ui/text-link";
import { ClampedText } from "@/components/ui/clamped-text";

export const metadata: Metadata = { title: "Promotion request" };

function Panel({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`;
  return (
    <section aria-labelledby={id} data-testid={testId} className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
      <h2 id={id} className="mb-3 text-base font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

export default async function PromotionRequestPage({ params }: { params: Promise<{ requestId: string }> }) {
  const { requestId } = await params;
  const user = await requirePagePermission("requests:read");
  const now = new Date();
  const [r, live] = await Promise.all([getRequestDetail(requestId, now), getRequestLiveState(requestId, now)]);
  if (!r || !live) notFound();

  const fnHref = `/functions/${encodeURIComponent(r.function.id)}`;
  const target = modelText({ modelId: r.target.modelId, nickname: r.target.nickname });
  const base = modelText({ modelId: r.base.modelId, nickname: r.base.nickname });
  const change = `moving ${r.environment.name} to ${target}`;
  const isRequester = r.requestedById === user.id;
  const pending = r.status === "pending" && !r.expiredUnmarked;
  const myDecision = r.decisions.find((d) => d.userId === user.id) ?? null;
  const canDecide = pending && can(user.role, "requests:decide") && !isRequester && !myDecision;
  const canCancel = pending && (isRequester || can(user.role, "environments:manage"));
  const pinMoved = r.currentPin.version !== r.base.version;
  const policyChanged =
    r.environment.approvalsRequired !== r.policy.approvalsRequired ||
    r.environment.rejectionBlocks !== r.policy.rejectionBlocks ||
    r.environment.requestExpiryHours !== r.policy.requestExpiryHours ||
    r.environment.minAgreementPct !== r.policy.minAgreementPct ||
    (r.policy.minAnsweredSamples !== undefined &&
      (r.environment.minAnsweredSamples !== r.policy.minAnsweredSamples ||
        r.environment.maxErrorPct !== r.policy.maxErrorPct ||
        r.environment.gateLowerBound !== r.policy.gateLowerBound));
  const closedAgain = (r.status === "stale" || r.status === "expired" || r.expiredUnmarked) && can(user.role, "requests:create");

  return (
    <>
      <RequestLive requestId={r.id} initial={live} />
      <p className="mb-2 text-sm">
        <Link href="/promotions" className={textLinkClass}>
          ← Promotions
        </Link>
      </p>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">
            Promotion #{r.number}: {r.environment.name} → {target}
          </h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            <Link href={fnHref} className={textLinkClass}>
              {r.function.name}
            </Link>{" "}
            · requested by {r.requestedByName} on <Time value={r.createdAt} />
          </p>
        </div>
        <RequestStatusBadge status={r.status} expiredUnmarked={r.expiredUnmarked} />
      </div>

      <div className="mb-6 space-y-3" data-testid="request-banner">
        {pending ? (
          <Alert tone="info">
            Waiting for approvals: {r.approvals} of {r.approvalsRequired}.
            {r.approvalsRequired > r.policy.approvalsRequired ? ` Opened by ${r.requestedByLabel}: a person approves it, whatever the policy says.` : null}
            {r.expiresAt ? (
              <>
                {" "}
                Expires in {formatDuration(r.expiresAt.getTime() - now.getTime())} (<Time value={r.expiresAt} />).
              </>
            ) : null}
          </Alert>
        ) : null}
        {pending && pinMoved ? (
          <Alert>
            Stale risk: the pin of {r.environment.name} moved since this request was made (version {r.base.version} → {r.currentPin.version}). An approval will
            mark it stale instead of applying it; request again from the current pin.
          </Alert>
        ) : null}
        {r.status === "applied" ? (
          <Alert tone="success">
            Applied{r.closedAt ? <> on <Time value={r.closedAt} /></> : null}: {r.environment.name} moved to {target} (pin version {r.appliedVersion}).
          </Alert>
        ) : null}
        {r.expiredUnmarked ? <Alert>This request expired on {r.expiresAt ? <Time value={r.expiresAt} /> : null} and can no longer be approved.</Alert> : null}
        {["stale", "expired", "rejected", "cancelled"].includes(r.status) ? (
          <Alert tone={r.status === "cancelled" ? "info" : "error"}>
            {r.status === "stale" ? "Stale: not applied. " : r.status === "expired" ? "Expired: not applied. " : r.status === "rejected" ? "Rejected. " : "Cancelled. "}
            {r.statusReason}
          </Alert>
        ) : null}
        {closedAgain ? (
          <RequestAgain>
            <RequestPromotionSection
              functionId={r.function.id}
              user={user}
              idPrefix="again"
              initial={{ environmentId: r.environment.id, target: r.target.modelId === null ? "latest" : r.target.retired ? "" : (r.targetModelRefId ?? ""), reason: r.reason }}
            />
          </RequestAgain>
        ) : null}
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Panel title="Reason" testId="request-reason">
            <ClampedText text={r.reason} lines={6} className="text-sm" />
          </Panel>

          <Panel title="Change" testId="request-change">
            <div className="overflow-x-auto">
              <table className="min-w-full text-sm">
                <thead className="text-left text-xs uppercase tracking-wide text-zinc-500">
                  <tr>
                    <th scope="col" className="py-1 pr-4"><span className="sr-only">Side</span></th>
                    <th scope="col" className="py-1 pr-4">Model</th>
                    <th scope="col" className="py-1">When</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                  <tr data-testid="change-base">
                    <th scope="row" className="py-2 pr-4 text-left font-medium">From (base, v{r.base.version})</th>
                    <td className="py-2 pr-4">{base}</td>
                    <td className="py-2 text-zinc-600 dark:text-zinc-400">
                      {r.base.version === 0 ? "never pinned: latest" : r.base.pinnedAt ? <>pinned <Time value={r.base.pinnedAt} /> by {r.base.pinnedBy}</> : "—"}
                    </td>
                  </tr>
                  <tr data-testid="change-target">
                    <th scope="row" className="py-2 pr-4 text-left font-medium">To (requested)</th>
                    <td className="py-2 pr-4">
                      {target}
                      {r.target.retired ? <span className="ml-1 text-xs text-amber-700 dark:text-amber-400">(retired since)</span> : null}
                    </td>
                    <td className="py-2 text-zinc-600 dark:text-zinc-400">
                      {r.target.modelId === null ? (
                        "whatever Nyckel's newest model is"
                      ) : (
                        <>
                          {r.target.registeredAt ? <>registered <Time value={r.target.registeredAt} />{r.target.registeredBy ? ` by ${r.target.registeredBy}` : ""}; </> : null}
                          {r.target.lastPinnedHere ? (
                            <>
                              last pinned in {r.environment.name} <Time value={r.target.lastPinnedHere.createdAt} /> (v{r.target.lastPinnedHere.version})
                            </>
                          ) : (
                            `never pinned in ${r.environment.name} before`
                          )}
                        </>
                      )}
                    </td>
                  </tr>
                  <tr data-testid="change-now">
                    <th scope="row" className="py-2 pr-4 text-left font-medium">Now (v{r.currentPin.version})</th>
                    <td className="py-2 pr-4">{modelText(r.currentPin)}</td>
                    <td className="py-2 text-zinc-600 dark:text-zinc-400">
                      {r.currentPin.updatedAt ? <>since <Time value={r.currentPin.updatedAt} />{r.currentPin.updatedBy ? ` by ${r.currentPin.updatedBy}` : ""}</> : "never pinned"}
                      {pending ? (pinMoved ? " · moved since the request" : " · unchanged since the request") : null}
                    </td>
                  </tr>
                </tbody>
              </table>
            </div>
          </Panel>

          <Panel title="Evidence">
            {r.evidenceSummary ? (
              <EvidenceSummaryView summary={r.evidenceSummary} hash={r.evidenceHash} verified={r.evidenceHashVerified} />
            ) : (
              <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="evidence">
                No comparison attached.{r.policy.minAgreementPct === null ? ` ${r.environment.name}'s policy required none at submit.` : ""}
              </p>
            )}
          </Panel>
        </div>

        <div className="space-y-6">
          <Panel title="Policy" testId="request-policy">
            <p className="text-sm">Frozen at submit: this request {policyParts(r.policy, r.approvals).join("; ")}.</p>
            {r.rejections ? <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{r.rejections} rejection{r.rejections === 1 ? "" : "s"} recorded.</p> : null}
            {policyChanged ? (
              <p className="mt-2 text-xs text-zinc-500">
                {r.environment.name}&apos;s policy has changed since (now it {policyParts(r.environment).join("; ")}); this request keeps the policy it was submitted under.
              </p>
            ) : null}
          </Panel>

          <Panel title="Decision" testId="request-decision">
            {isRequester && pending ? <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">You made this request: others approve or reject it.</p> : null}
            {myDecision ? (
              <p className="mb-3 text-sm" data-testid="my-decision">
                You {myDecision.decision === "approve" ? "approved" : "rejected"} this request on <Time value={myDecision.createdAt} />.
              </p>
            ) : null}
            {!can(user.role, "requests:decide") && !isRequester ? (
              <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">Approvers and admins decide promotion requests.</p>
            ) : null}
            {!pending ? <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">This request is closed.</p> : null}
            <RequestActions
              requestId={r.id}
              number={r.number}
              change={change}
              canDecide={canDecide}
              canCancel={canCancel}
              lastApproval={r.approvals + 1 >= r.approvalsRequired}
              staleRisk={pinMoved}
            />
          </Panel>

          <Panel title="Timeline" testId="request-timeline">
            <ol className="space-y-3 text-sm">
              {r.events.map((e) => {
                const after = (e.after ?? {}) as Record<string, unknown>;
                return (
                  <li key={e.id} data-testid="timeline-event" data-action={e.action} className="border-l-2 border-zinc-200 pl-3 dark:border-zinc-700">
                    <div className="font-medium">{actionLabel(e.action)}</div>
                    <div className="text-xs text-zinc-500">
                      <Time value={e.createdAt} /> · {e.actorName}
                      {e.action === "request.approved" && typeof after.approvals === "number" ? ` · ${after.approvals} of ${String(after.approvalsRequired)}` : ""}
                      {e.action === "request.applied" && typeof after.pinVersion === "number" ? ` · pin version ${after.pinVersion}` : ""}
                    </div>
                    {e.reason && e.action !== "request.opened" && e.action !== "request.applied" ? (
                      <ClampedText text={e.reason} className="mt-1 text-zinc-700 dark:text-zinc-300" />
                    ) : null}
                  </li>
                );
              })}
            </ol>
            <p className="mt-4 text-xs">
              <Link
                href={`/audit?function=${encodeURIComponent(r.function.id)}&environment=${r.environment.id}`}
                className={textLinkClass}
              >
                See {r.function.name} in {r.environment.name} in the audit log
              </Link>
            </p>
          </Panel>
        </div>
      </div>
    </>
  );
}
