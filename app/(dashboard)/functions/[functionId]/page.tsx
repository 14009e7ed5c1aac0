import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { requirePagePermission } from "@/lib/auth/session";
import { getFunctionDetail } from "@/lib/functions/queries";

export const metadata: Metadata = { title: "Function" };

export default async function FunctionPage({ params }: { params: Promise<{ functionId: string }> }) {
  const { functionId } = await params;
  await requirePagePermission("functions:read");
  const fn = await getFunctionDetail(decodeURIComponent(functionId));
  if (!fn) notFound();
  return (
    <>
      <PageHeader
        title={fn.name}
        description={
          <span className="font-mono">
            {fn.id} · {fn.inputType} → {fn.outputType}
          </span>
        }
      />
      {fn.missingSince ? <Badge tone="amber">No longer in Nyckel since {fn.missingSince.toISOString()}</Badge> : null}
      <section className="mt-6 grid gap-6 md:grid-cols-2">
        <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
          <h2 className="text-base font-semibold">Latest model</h2>
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400" data-testid="current-model">
            {fn.currentModelId ? (
              <>
                Nyckel reports that &ldquo;latest&rdquo; is now <span className="font-mono text-zinc-900 dark:text-zinc-100">{fn.currentModelId}</span>.
              </>
            ) : (
              "Nyckel does not report which model “latest” is for this function."
            )}
          </p>
          <p className="mt-1 text-xs text-zinc-500">As of the last sync, {fn.lastSyncedAt.toISOString()}.</p>
        </div>
        <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
          <h2 className="text-base font-semibold">Labels ({fn.labels.length})</h2>
          {fn.labels.length === 0 ? (
            <p className="mt-2 text-sm text-zinc-500">This function has no labels in Nyckel yet.</p>
          ) : (
            <ul className="mt-2 flex flex-wrap gap-2" aria-label="Labels">
              {fn.labels.map((l) => (
                <li key={l.id} title={l.description ?? l.id}>
                  <Badge tone="indigo">{l.name}</Badge>
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
    </>
  );
}
