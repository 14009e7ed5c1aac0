import type { Metadata } from "next";
import { AuditIntegrity } from "@/components/settings/audit-integrity";
import { requirePagePermission } from "@/lib/session/current";

export const metadata: Metadata = { title: "Audit integrity" };

export default async function AuditIntegrityPage() {
  await requirePagePermission("audit:verify");
  return <AuditIntegrity />;
}
