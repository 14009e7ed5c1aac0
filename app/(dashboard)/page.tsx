import Link from "next/link";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { buttonClass } from "@/components/ui/button";
import { requirePagePermission } from "@/lib/auth/session";
import { listEnvironments } from "@/lib/environments/queries";

export default async function OverviewPage() {
  await requirePagePermission("pins:read");
  const environments = await listEnvironments();
  return (
    <>
      <PageHeader title="Overview" description="Which model serves each function in each environment." />
      <EmptyState
        title="No functions yet"
        action={
          <Link href="/functions" className={buttonClass("primary")}>
            Go to Functions
          </Link>
        }
      >
        Sync your functions from Nyckel on the Functions page. Then register the model ids you care about and pin them in{" "}
        {environments.map((e) => e.name).join(", ") || "your environments"}.
      </EmptyState>
    </>
  );
}
