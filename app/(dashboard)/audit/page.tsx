import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditlogPage() {
  await requirePagePermission("audit:read");
  return (
    <>
      <PageHeader title="Audit log" description="Every change in Modelpin: who changed what, where, when and why." />
      <EmptyState title="The audit log is empty">Changes to members, environments, models and pins appear here as they happen.</EmptyState>
    </>
  );
}
