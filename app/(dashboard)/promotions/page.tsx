import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Promotions" };

export default async function PromotionsPage() {
  await requirePagePermission("requests:read");
  return (
    <>
      <PageHeader title="Promotions" description="Requests to move a pin in a protected environment, and their approvals." />
      <EmptyState title="No promotion requests yet">Editors request a promotion from a function&apos;s page; approvers decide here.</EmptyState>
    </>
  );
}
