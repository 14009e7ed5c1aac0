import type { Metadata } from "next";
import { NyckelBudgetPanel } from "@/components/settings/nyckel-budget-panel";
import { NyckelSettingsForm } from "@/components/settings/nyckel-settings-form";
import { requirePagePermission } from "@/lib/session/current";
import { getNyckelSettingsView } from "@/lib/nyckel-settings/queries";

export const metadata: Metadata = { title: "Nyckel" };

export default async function NyckelSettingsPage() {
  await requirePagePermission("nyckel:manage");
  const view = await getNyckelSettingsView();
  return (
    <div className="space-y-10">
      <NyckelSettingsForm view={view} />
      <NyckelBudgetPanel />
    </div>
  );
}
