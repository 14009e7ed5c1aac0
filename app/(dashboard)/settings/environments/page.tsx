import type { Metadata } from "next";
import { EnvironmentsClient } from "@/components/environments/environments-client";
import { requirePagePermission } from "@/lib/session/current";
import { listEnvironments } from "@/lib/environments/queries";

export const metadata: Metadata = { title: "Environments" };

export default async function EnvironmentsPage() {
  await requirePagePermission("environments:manage");
  const environments = await listEnvironments();
  return <EnvironmentsClient environments={environments} />;
}
