import { can } from "@/lib/auth/permissions";
import type { SessionUser } from "@/lib/session/current";
import { getRequestFormData } from "@/lib/promotions/queries";
import { LazyRequestForm } from "./lazy-request-form";
import type { RequestFormInitial } from "./request-form";

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
    <LazyRequestForm
      functionId={functionId}
      data={data}
      now={now.toISOString()}
      canRunComparisons={can(user.role, "comparisons:run")}
      samplesHref={`/functions/${encodeURIComponent(functionId)}/samples`}
      initial={initial}
      idPrefix={idPrefix}
    />
  );
}
