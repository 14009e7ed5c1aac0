import type { Metadata } from "next";
import { NyckelBudgetPanel } from "@/components/settings/nyckel-budget-panel";
import { NyckelSettingsForm } from "@/components/settings/nyckel-settings-form";
import { Alert } from "@/components/ui/alert";
import { requirePagePermission } from "@/lib/session/current";
import { countFunctionsWithoutCurrentModel } from "@/lib/functions/queries";
import { getNyckelSettingsView } from "@/lib/nyckel-settings/queries";

export const metadata: Metadata = { title: "Nyckel" };

export default async function NyckelSettingsPage() {
  await requirePagePermission("nyckel:manage");
  const [view, current] = await Promise.all([getNyckelSettingsView(), countFunctionsWithoutCurrentModel()]);
  return (
    <div className="space-y-10">
      {current.without > 0 ? (
        <Alert tone="info" className="max-w-3xl" data-testid="no-current-model-note">
          Nyckel reports no current model id for {current.without} of {current.total} function{current.total === 1 ? "" : "s"} (the field is not
          documented). Drift watch then asks &ldquo;latest&rdquo; about five samples of each function&apos;s golden set at every sync: when the
          answers change it compares each watching environment&apos;s pin with &ldquo;latest&rdquo;. Register the new model id from Nyckel&apos;s
          console on the function&apos;s page to compare and pin it by id.
        </Alert>
      ) : null}
      <NyckelSettingsForm view={view} />
      <NyckelBudgetPanel />
    </div>
  );
}
