import type { Metadata } from "next";
import Link from "next/link";
import { SyncButton } from "@/components/functions/sync-button";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { ListTable, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { listFunctions } from "@/lib/functions/queries";
import { textLinkClass } from "@/components/ui/text-link";

export const metadata: Metadata = { title: "Functions" };

export default async function FunctionsPage() {
  // Reading never writes: the job workers sync on a schedule (lib/functions/scheduled-sync.ts); editors can sync now.
  const user = await requirePagePermission("functions:read");
  const functions = await listFunctions();
  const canSync = can(user.role, "functions:sync");
  return (
    <>
      <PageHeader
        title="Functions"
        description="Your Nyckel functions, synced from Nyckel on a schedule."
        actions={canSync && functions.length > 0 ? <SyncButton /> : null}
      />
      {functions.length === 0 ? (
        <EmptyState title="No functions synced yet" action={canSync ? <SyncButton label="Sync now" /> : undefined}>
          {canSync
            ? "Modelpin syncs your functions from Nyckel on a schedule; sync now to load them at once. If Nyckel is not configured yet, an admin sets the credentials in Settings → Nyckel."
            : "Modelpin syncs the functions from Nyckel on a schedule; an editor can sync now, and an admin sets the Nyckel credentials in Settings → Nyckel."}
        </EmptyState>
      ) : (
        <ListTable data-testid="functions-table" columns={["Name", "Input", "Output", { label: "Labels", align: "right" }, "Last synced"]}>
          {functions.map((f) => (
            <tr key={f.id}>
              <Td>
                <Link href={`/functions/${encodeURIComponent(f.id)}`} className={`font-medium ${textLinkClass}`}>
                  {f.name}
                </Link>
                <div className="font-mono text-xs text-zinc-500">{f.id}</div>
                {f.missingSince ? <Badge tone="amber">no longer in Nyckel</Badge> : null}
              </Td>
              <Td>{f.inputType}</Td>
              <Td>{f.outputType}</Td>
              <Td align="right" className="tabular-nums">{f.labelCount}</Td>
              <Td className="text-zinc-500">
                <Time value={f.lastSyncedAt} />
              </Td>
            </tr>
          ))}
        </ListTable>
      )}
    </>
  );
}
