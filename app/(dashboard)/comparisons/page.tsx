import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePagePermission } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Comparisons" };

export default async function ComparisonsPage() {
  await requirePagePermission("comparisons:read");
  return (
    <>
      <PageHeader title="Comparisons" description="Side-by-side runs of two models on your samples." />
      <EmptyState title="No comparison runs yet">Open a function, upload a sample set and compare two models to see where they disagree.</EmptyState>
    </>
  );
}
