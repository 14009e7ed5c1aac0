import { can } from "@/lib/auth/permissions";
import type { SessionUser } from "@/lib/session/current";
import { getRequestFormData, type RequestFormData } from "@/lib/promotions/queries";
import { RequestForm, type RequestFormInitial, type RequestFormView } from "./request-form";

/** Plain, serializable data for the client form (dates as ISO strings). */
export function toFormView(data: RequestFormData): RequestFormView {
  return {
    environments: data.environments.map((e) => ({
      id: e.id,
      slug: e.slug,
      name: e.name,
      protected: e.protected,
      approvalsRequired: e.approvalsRequired,
      rejectionBlocks: e.rejectionBlocks,
      requestExpiryHours: e.requestExpiryHours,
      minAgreementPct: e.minAgreementPct,
      minAnsweredSamples: e.minAnsweredSamples,
      maxErrorPct: e.maxErrorPct,
      gateLowerBound: e.gateLowerBound,
      pin: e.pin,
    })),
    models: data.models,
    runs: data.runs.map((r) => ({
      id: r.id,
      functionId: r.functionId,
      status: r.status,
      modelA: r.modelA,
      modelB: r.modelB,
      modelALabel: r.modelALabel,
      modelBLabel: r.modelBLabel,
      finishedAt: r.finishedAt?.toISOString() ?? null,
      total: r.total,
      sampleSetName: r.sampleSetName,
      agreement: r.agreement,
    })),
    sampleSets: data.sampleSets,
    openRequests: data.openRequests,
  };
}

/**
 * The "Request a promotion" section of a function's page: loads its own data
 * (lib/promotions/queries.ts) so the shared page only mounts it. Renders
 * nothing for members who cannot request.
 */
export async function RequestPromotionSection({
  functionId,
  user,
  initial,
  idPrefix,
}: {
  functionId: string;
  user: Pick<SessionUser, "role">;
  initial?: RequestFormInitial;
  idPrefix?: string;
}) {
  if (!can(user.role, "requests:create")) return null;
  const now = new Date();
  const data = await getRequestFormData(functionId, now);
  return (
    <RequestForm
      functionId={functionId}
      data={toFormView(data)}
      now={now.toISOString()}
      canRunComparisons={can(user.role, "comparisons:run")}
      samplesHref={`/functions/${encodeURIComponent(functionId)}/samples`}
      initial={initial}
      idPrefix={idPrefix}
    />
  );
}
