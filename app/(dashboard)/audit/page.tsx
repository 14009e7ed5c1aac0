import type { Metadata } from "next";
import Link from "next/link";
import { summarizeChange, targetLink } from "@/components/audit/describe";
import { PromotedBy } from "@/components/audit/set-by";
import { BreakGlassBadge } from "@/components/pins/model-ref";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { inputClass } from "@/components/ui/field";
import { FilterField, FilterSelect } from "@/components/ui/filter";
import { PageHeader } from "@/components/ui/page-header";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { AUDIT_ACTIONS, actionLabel } from "@/lib/audit/catalog";
import { promotionsById } from "@/lib/audit/promoted-by";
import { auditQueryString, encodeCursor, getAuditLookups, listAuditEvents, parseAuditQuery } from "@/lib/audit/queries";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { textLinkClass } from "@/components/ui/text-link";
import { ClampedText } from "@/components/ui/clamped-text";

export const metadata: Metadata = { title: "Audit log" };

type Search = Record<string, string | string[] | undefined>;

/** The promotion request that moved a pin (pin events carry it in `after`). */
function promotionIdOf(r: { action: string; after: unknown }): string | null {
  if (!r.action.startsWith("pin.") || typeof r.after !== "object" || r.after === null) return null;
  const promo = (r.after as { promotionRequest?: { id?: unknown } }).promotionRequest;
  return typeof promo?.id === "string" ? promo.id : null;
}

function JsonDetail({ before, after }: { before: string | null; after: string | null }) {
  if (before === null && after === null) return null;
  const pretty = (text: string | null) => (text === null ? "null" : JSON.stringify(JSON.parse(text), null, 2));
  return (
    <details className="mt-1 text-xs">
      <summary className="cursor-pointer text-zinc-500">Details (JSON)</summary>
      <pre data-testid="audit-json" className="mt-1 max-h-64 max-w-md overflow-auto rounded bg-zinc-50 p-2 font-mono dark:bg-zinc-900">
        {`before: ${pretty(before)}\nafter: ${pretty(after)}`}
      </pre>
    </details>
  );
}

export default async function AuditLogPage({ searchParams }: { searchParams: Promise<Search> }) {
  const params = await searchParams;
  const user = await requirePagePermission("audit:read");
  const { filter, cursor, errors, raw } = parseAuditQuery(params);
  const [lookups, page] = await Promise.all([getAuditLookups(), errors.length ? Promise.resolve(null) : listAuditEvents(filter, { cursor })]);
  const promotions = await promotionsById(page ? page.rows.map(promotionIdOf).filter((id): id is string => id !== null) : []);
  const functionName = new Map(lookups.functions.map((f) => [f.id, f.name]));
  const environmentName = new Map(lookups.environments.map((e) => [e.id, e.name]));
  const links = {
    canManageEnvironments: can(user.role, "environments:manage"),
    canManageMembers: can(user.role, "members:manage"),
    canManageNyckel: can(user.role, "nyckel:manage"),
    canManageWebhooks: can(user.role, "webhooks:manage"),
    canManageTokens: can(user.role, "tokens:manage"),
  };
  const filtered = Object.values(raw).some(Boolean);
  const knownAction = AUDIT_ACTIONS.some((a) => a.action === raw.action);
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change in Modelpin: who changed what, where, when and why. Append-only and hash-chained."
        actions={
          errors.length ? null : (
            <>
              <a href={`/api/audit/export${auditQueryString(raw, { format: "csv" })}`} className={buttonClass("secondary")} data-testid="export-csv">
                Export CSV
              </a>
              <a href={`/api/audit/export${auditQueryString(raw, { format: "json" })}`} className={buttonClass("secondary")} data-testid="export-json">
                Export JSON
              </a>
            </>
          )
        }
      />
      <form method="get" action="/audit" role="search" aria-label="Filter the audit log" className="mb-4 flex flex-wrap items-end gap-3">
        <FilterSelect id="filter-function" label="Function" name="function" value={raw.function} all="All functions" options={lookups.functions.map((f) => ({ value: f.id, label: f.name }))} className="w-48" />
        <FilterSelect id="filter-environment" label="Environment" name="environment" value={raw.environment} all="All environments" options={lookups.environments.map((e) => ({ value: e.id, label: e.name }))} className="w-48" />
        <FilterSelect
          id="filter-actor"
          label="Actor"
          name="actor"
          value={raw.actor}
          all="Anyone"
          options={[{ value: "system", label: "System (sync, seed, jobs)" }, { value: "tokens", label: "API tokens (pipelines)" }, ...lookups.members.map((m) => ({ value: m.id, label: `${m.name} (${m.email})` }))]}
          className="w-48"
        />
        <FilterSelect
          id="filter-action"
          label="Action"
          name="action"
          value={raw.action}
          all="All actions"
          // An action from the URL that the catalog does not know stays selected, so the filter shows what it is doing.
          options={[...AUDIT_ACTIONS.map((a) => ({ value: a.action, label: a.label })), ...(raw.action && !knownAction ? [{ value: raw.action, label: raw.action }] : [])]}
          className="w-48"
        />
        <FilterField id="filter-from" label="From (UTC)">
          <input id="filter-from" name="from" defaultValue={raw.from} placeholder="2026-03-01T00:00" className={inputClass + " w-44 font-mono"} />
        </FilterField>
        <FilterField id="filter-to" label="Until (UTC)">
          <input id="filter-to" name="to" defaultValue={raw.to} placeholder="2026-03-31T23:59" className={inputClass + " w-44 font-mono"} />
        </FilterField>
        <button type="submit" className={buttonClass("primary")}>
          Filter
        </button>
        {filtered ? (
          <Link href="/audit" className={buttonClass("ghost")}>
            Clear
          </Link>
        ) : null}
      </form>

      {errors.length ? <Alert>{errors.join(" ")}</Alert> : null}

      {page && page.rows.length === 0 ? (
        <EmptyState title={filtered ? "No events match these filters" : "The audit log is empty"}>
          {filtered ? "Widen the filters or clear them." : "Changes to members, environments, models and pins appear here as they happen."}
        </EmptyState>
      ) : null}

      {page && page.rows.length > 0 ? (
        <>
          <ListTable data-testid="audit-table" columns={["#", "When", "Actor", "Action", "Target", "Change", "Reason"]} density="compact">
            {page.rows.map((r) => {
              const target = targetLink(r, { ...links, functionName: r.functionId ? functionName.get(r.functionId) : null });
              const breakGlass = r.action === "pin.break_glass";
              const promoId = promotionIdOf(r);
              const promotion = promoId ? promotions.get(promoId) : undefined;
              return (
                <tr key={r.id} className="align-top" data-testid="audit-row" data-id={r.id} data-action={r.action}>
                  <Td density="compact" className="font-mono text-xs text-zinc-500">{r.id}</Td>
                  <Td density="compact" className="whitespace-nowrap text-xs text-zinc-600 dark:text-zinc-400">
                    <Time value={r.createdAt} />
                  </Td>
                  <Td density="compact">
                    <div>{r.actorLabel}</div>
                    {promotion ? <PromotedBy value={promotion} className="text-xs text-zinc-500" /> : null}
                  </Td>
                  <Td density="compact">
                    <div>{actionLabel(r.action)}</div>
                    <code className="font-mono text-xs text-zinc-500">{r.action}</code> {breakGlass ? <BreakGlassBadge /> : null}
                  </Td>
                  <Td density="compact" className="max-w-56 wrap-anywhere">
                    {target ? (
                      <Link href={target.href} className={textLinkClass}>
                        {target.label}
                      </Link>
                    ) : (
                      <span className="text-zinc-500">—</span>
                    )}
                    {r.environmentId ? (
                      <div>
                        <Badge>{environmentName.get(r.environmentId) ?? "environment"}</Badge>
                      </div>
                    ) : null}
                  </Td>
                  <Td density="compact" data-testid="audit-change" className="max-w-xs wrap-anywhere text-zinc-700 dark:text-zinc-300">
                    <div data-testid="audit-summary">{summarizeChange(r, r.environmentId ? environmentName.get(r.environmentId) : null)}</div>
                    <JsonDetail before={r.beforeJson} after={r.afterJson} />
                  </Td>
                  <Td data-testid="audit-reason" density="compact" className="max-w-xs">
                    {r.reason ? <ClampedText text={r.reason} /> : <span className="text-zinc-500">—</span>}
                  </Td>
                </tr>
              );
            })}
          </ListTable>
          <nav aria-label="Pages" className="mt-4 flex gap-2">
            {cursor ? (
              <Link href={`/audit${auditQueryString(raw)}`} className={buttonClass("secondary")}>
                ← Newest
              </Link>
            ) : null}
            {page.nextCursor ? (
              <Link href={`/audit${auditQueryString(raw, { cursor: encodeCursor(page.nextCursor) })}`} className={buttonClass("secondary")}>
                Older →
              </Link>
            ) : null}
          </nav>
        </>
      ) : null}
    </>
  );
}
