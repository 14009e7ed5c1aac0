import type { Metadata } from "next";
import Link from "next/link";
import { SyncButton } from "@/components/functions/sync-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { ListTable, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { systemContext } from "@/lib/context";
import { isExpectedError } from "@/lib/errors";
import { countFunctions, listFunctions } from "@/lib/functions/queries";
import { describeSync, syncFunctions } from "@/lib/functions/service";
import { getNyckelConnection } from "@/lib/nyckel-settings/connection";
import { textLinkClass } from "@/components/ui/text-link";

export const metadata: Metadata = { title: "Functions" };

export default async function FunctionsPage() {
  const user = await requirePagePermission("functions:read");
  let firstSync: { ok: boolean; message: string } | null = null;
  // First visit: nothing stored yet and Nyckel is configured → sync once, for everyone.
  if ((await countFunctions()) === 0 && (await getNyckelConnection())) {
    try {
      firstSync = { ok: true, message: describeSync(await syncFunctions(systemContext(`system (first visit by ${user.email})`))) };
    } catch (e) {
      firstSync = { ok: false, message: isExpectedError(e) ? e.message : "The first sync with Nyckel failed." };
    }
  }
  const functions = await listFunctions();
  const canSync = can(user.role, "functions:sync");
  return (
    <>
      <PageHeader title="Functions" description="Your Nyckel functions, synced from Nyckel." actions={canSync ? <SyncButton /> : null} />
      {firstSync ? <Alert tone={firstSync.ok ? "success" : "error"} className="mb-4">{firstSync.message}</Alert> : null}
      {functions.length === 0 ? (
        <EmptyState title="No functions synced yet">
          {canSync
            ? "Sync to load your functions from Nyckel. If Nyckel is not configured yet, an admin sets the credentials in Settings → Nyckel."
            : "An editor or admin syncs the functions from Nyckel; an admin sets the Nyckel credentials in Settings → Nyckel."}
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
