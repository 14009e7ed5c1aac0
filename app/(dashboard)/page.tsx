import Link from "next/link";
import { DriftPanel } from "@/components/drift/drift-panel";
import { PointInTimeForm, PointInTimeTable } from "@/components/pins/point-in-time";
import { Alert } from "@/components/ui/alert";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/auth/permissions";
import { getDriftOverview } from "@/lib/drift/queries";
import { requirePagePermission } from "@/lib/session/current";
import { getPinOverview } from "@/lib/pins/queries";
import { parsePointInTime } from "@/lib/time";
import { listPendingRequests, pendingByCell } from "@/lib/promotions/pending";
import { activeShadowCells } from "@/lib/shadow/queries-ui";

export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ at?: string | string[] }> }) {
  const query = await searchParams;
  const user = await requirePagePermission("pins:read");
  const atRaw = typeof query.at === "string" ? query.at : "";
  const at = atRaw ? parsePointInTime(atRaw) : null;
  const [overview, pending, drift, shadows] = await Promise.all([
    getPinOverview({ at: at ?? undefined }),
    at ? Promise.resolve([]) : listPendingRequests(),
    at ? Promise.resolve(null) : getDriftOverview(),
    at ? Promise.resolve(undefined) : activeShadowCells(),
  ]);
  return (
    <>
      <PageHeader title="Overview" description="Which model serves each function in each environment." />
      {overview.functions.length === 0 ? (
        <EmptyState
          title="No functions yet"
          action={
            <Link href="/functions" className={buttonClass("primary")}>
              Go to Functions
            </Link>
          }
        >
          Sync your functions from Nyckel on the Functions page. Then register the model ids you care about and pin them in{" "}
          {overview.environments.map((e) => e.name).join(", ") || "your environments"}.
        </EmptyState>
      ) : (
        <>
          <PointInTimeForm action="/" value={atRaw} />
          {atRaw && !at ? (
            <Alert className="mt-3">“{atRaw}” is not a time. Use a form like 2026-03-01T14:30 (UTC) or an ISO time with a zone. Showing the pins now.</Alert>
          ) : null}
          <PointInTimeTable overview={overview} at={at} pending={pendingByCell(pending)} shadows={shadows} />
          {drift ? <DriftPanel drift={drift} canEvaluate={can(user.role, "comparisons:run")} /> : null}
        </>
      )}
    </>
  );
}
