import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { LazyQuickCompare } from "@/components/compare/lazy-parts";
import { LazyGoldenSetPanel } from "@/components/functions/lazy-golden-set-panel";
import { ModelsPanel } from "@/components/models/models-panel";
import { PinTimeline } from "@/components/pins/pin-timeline";
import { PinsPanel } from "@/components/pins/pins-panel";
import { PointInTimeForm, PointInTimeTable } from "@/components/pins/point-in-time";
import { RequestPromotionSection } from "@/components/promotions/request-section";
import { TrafficPanel } from "@/components/serving/traffic-panel";
import { LazyShadowsPanel } from "@/components/shadow/lazy-shadows-panel";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import Link from "next/link";
import { buttonClass } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { Section, SectionNav } from "@/components/ui/section";
import { Time } from "@/components/ui/time";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { getFunctionDetail } from "@/lib/functions/queries";
import { listModelsForFunction, listUnregisteredIds } from "@/lib/models/queries";
import { listSampleSets } from "@/lib/samples/queries";
import { getFunctionPins, getPinOverview, listPinTimeline } from "@/lib/pins/queries";
import { parsePointInTime } from "@/lib/time";
import { promotionsForPins } from "@/lib/audit/promoted-by";
import { listPendingRequests, pendingByCell } from "@/lib/promotions/pending";
import { getFunctionTraffic } from "@/lib/serving/queries";
import { getShadowSection } from "@/lib/shadow/queries-ui";
import { decodeParam } from "@/lib/url";
import { modelLabel } from "@/lib/models/label";

export const metadata: Metadata = { title: "Function" };

export default async function FunctionPage({
  params,
  searchParams,
}: {
  params: Promise<{ functionId: string }>;
  searchParams: Promise<{ at?: string | string[]; requestEnvironment?: string | string[]; requestTarget?: string | string[]; requestReason?: string | string[]; requestEvidence?: string | string[]; requestShadowEvidence?: string | string[] }>;
}) {
  const [{ functionId: rawId }, query] = await Promise.all([params, searchParams]);
  const user = await requirePagePermission("functions:read");
  const functionId = decodeParam(rawId);
  const fn = await getFunctionDetail(functionId);
  if (!fn) notFound();
  const atRaw = typeof query.at === "string" ? query.at : "";
  const at = atRaw ? parsePointInTime(atRaw) : null;
  const [pinRows, models, seenIds, timeline, pastPins, pending, sampleSets] = await Promise.all([
    getFunctionPins(fn.id),
    listModelsForFunction(fn.id),
    listUnregisteredIds(fn.id),
    listPinTimeline(fn.id),
    at ? getPinOverview({ at, functionId: fn.id }) : Promise.resolve(null),
    listPendingRequests({ functionId: fn.id }),
    listSampleSets(fn.id),
  ]);
  const pendingHere = pendingByCell(pending);
  const [traffic, shadowSection, promotedBy] = await Promise.all([
    getFunctionTraffic(fn.id),
    getShadowSection(fn.id, pinRows),
    promotionsForPins(fn.id, pinRows.flatMap(({ environment, pin }) => (pin ? [{ environmentId: environment.id, version: pin.version }] : []))),
  ]);
  const canWrite = can(user.role, "pins:write");
  // "Request rollback" in a protected environment's history opens the request form filled in.
  const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");
  const requestInitial = one(query.requestEnvironment)
    ? {
        environmentId: one(query.requestEnvironment),
        target: one(query.requestTarget),
        reason: one(query.requestReason).slice(0, 500),
        evidenceRunId: one(query.requestEvidence).slice(0, 36),
        evidenceShadowSnapshotId: one(query.requestShadowEvidence).slice(0, 36),
      }
    : undefined;
  const canBreakGlass = can(user.role, "pins:break_glass");
  const canRequest = can(user.role, "requests:create");
  const canCompare = can(user.role, "comparisons:run");

  const rows = pinRows.map((row) => ({ ...row, pending: pendingHere.get(`${fn.id} ${row.environment.id}`) }));
  const pinnable = models.filter((m) => !m.retiredAt);

  return (
    <>
      <PageHeader
        title={fn.name}
        description={
          <span className="font-mono">
            {fn.id} · {fn.inputType} → {fn.outputType}
          </span>
        }
        actions={
          <Link href={`/functions/${encodeURIComponent(fn.id)}/samples`} className={buttonClass("secondary")}>
            Sample sets &amp; comparisons
          </Link>
        }
      />
      {fn.missingSince ? (
        <Badge tone="amber">
          No longer in Nyckel since <Time value={fn.missingSince} />
        </Badge>
      ) : null}

      <SectionNav
        sections={[
          { id: "pins", label: "Pins" },
          ...(canRequest ? [{ id: "request", label: "Request" }] : []),
          { id: "models", label: "Models" },
          ...(canCompare ? [{ id: "quick-compare", label: "Compare" }] : []),
          { id: "timeline", label: "History" },
          { id: "point-in-time", label: "Point in time" },
          { id: "golden", label: "Golden set" },
          { id: "traffic", label: "Traffic" },
          { id: "shadow", label: "Shadow evaluation" },
          { id: "nyckel", label: "In Nyckel" },
        ]}
      />

      <Section className="mt-10" id="pins" title="Pins" description="Which model each environment uses for this function. No pin means Nyckel's latest model.">
        <PinsPanel
          functionId={fn.id}
          rows={rows}
          models={pinnable}
          canWrite={canWrite}
          canBreakGlass={canBreakGlass}
          promotedBy={promotedBy}
        />
      </Section>

      {canRequest ? (
        <Section className="mt-10"
          id="request"
          title="Request a promotion"
          description="Ask to move an environment's pin, with a reason and a comparison as evidence. Protected environments move only when others approve."
        >
          {/* A new key when "Request rollback" fills it in: the form's fields start from the new values. */}
          <RequestPromotionSection key={requestInitial ? JSON.stringify(requestInitial) : "blank"} functionId={fn.id} user={user} initial={requestInitial} />
        </Section>
      ) : null}

      <Section className="mt-10" id="models" title="Models" description="Nyckel model ids registered for this function, and where each is pinned now.">
        <ModelsPanel
          functionId={fn.id}
          inputType={fn.inputType}
          canWrite={can(user.role, "models:write")}
          models={models}
          seenIds={seenIds}
        />
      </Section>

      {canCompare ? (
        <Section className="mt-10"
          id="quick-compare"
          title="Quick compare"
          description="Ask two models about one sample and see both answers side by side. For many samples, use Sample sets & comparisons."
        >
          <LazyQuickCompare
            functionId={fn.id}
            inputType={fn.inputType}
            models={pinnable.map((m) => ({ id: m.id, label: modelLabel(m) }))}
            environments={rows.map((r) => ({
              id: r.environment.id,
              label: `${r.environment.name} (now ${r.pin?.model ? r.pin.model.nickname || r.pin.model.modelId : "latest"})`,
            }))}
          />
        </Section>
      ) : null}

      <Section className="mt-10" id="timeline" title="Pin history" description="Every change of this function's pins, newest first. Roll back to any earlier version.">
        <div className="space-y-6">
          {rows.map((row) => (
            <div key={row.environment.id}>
              <h3 className="mb-2 text-base font-semibold">{row.environment.name}</h3>
              <PinTimeline
                functionId={fn.id}
                environment={row.environment}
                current={row.pin}
                revisions={timeline.get(row.environment.id) ?? []}
                canRollBack={canWrite && (!row.environment.protected || canBreakGlass)}
                canRequest={canRequest}
              />
            </div>
          ))}
        </div>
      </Section>

      <Section className="mt-10" id="point-in-time" title="Pins at a point in time" description="What this function was pinned to in each environment at a given moment.">
        <PointInTimeForm action={`/functions/${encodeURIComponent(fn.id)}`} value={atRaw} anchor="point-in-time" />
        {atRaw && !at ? (
          <Alert className="mt-3">“{atRaw}” is not a time. Use a form like 2026-03-01T14:30 (UTC) or an ISO time with a zone.</Alert>
        ) : null}
        {pastPins && at ? <PointInTimeTable overview={pastPins} at={at} /> : null}
      </Section>

      <Section className="mt-10"
        id="golden"
        title="Golden set"
        description="The sample set this function is judged on: drift watch compares each new model Nyckel reports with every watching environment's pin on it."
      >
        <LazyGoldenSetPanel
          functionId={fn.id}
          canWrite={can(user.role, "samples:write")}
          golden={fn.goldenSampleSet ? { ...fn.goldenSampleSet, deleted: fn.goldenSampleSet.deletedAt !== null } : null}
          sets={sampleSets.map((s) => ({ id: s.id, name: s.name, sampleCount: s.sampleCount, labeledCount: s.labeledCount }))}
        />
      </Section>

      <Section className="mt-10"
        id="traffic"
        title="Traffic through Modelpin"
        description="Calls applications made through Modelpin's invoke proxy, per environment and by the model that served them (counted every few seconds)."
      >
        <TrafficPanel traffic={traffic} />
      </Section>

      <Section className="mt-10"
        id="shadow"
        title="Shadow evaluation"
        description="A share of an environment's live proxy traffic sent again, after the caller's answer, to a candidate model: how it would have answered real inputs."
      >
        <LazyShadowsPanel
          functionId={fn.id}
          shadows={shadowSection.shadows}
          environments={shadowSection.environments}
          models={pinnable.map((m) => ({ id: m.id, modelId: m.modelId, nickname: m.nickname }))}
          canWrite={canCompare}
        />
      </Section>

      <Section className="mt-10" id="nyckel" title="In Nyckel">
        <div className="grid gap-6 md:grid-cols-2">
          <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <h3 className="text-base font-semibold">Latest model</h3>
            <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400" data-testid="current-model">
              {fn.currentModelId ? (
                <>
                  Nyckel reports that &ldquo;latest&rdquo; is now <span className="font-mono text-zinc-900 dark:text-zinc-100">{fn.currentModelId}</span>.
                </>
              ) : (
                <>
                  Nyckel does not report which model &ldquo;latest&rdquo; is for this function.
                  {fn.goldenSampleSet && !fn.goldenSampleSet.deletedAt
                    ? " Drift watch asks “latest” about five golden samples at each sync and compares the pins with it when the answers change."
                    : " With a golden set, drift watch notices when “latest” changes by its answers."}
                  {fn.latestProbeAt ? (
                    <>
                      {" "}
                      Last probe: <Time value={fn.latestProbeAt} />.
                    </>
                  ) : null}
                </>
              )}
            </p>
            <p className="mt-1 text-xs text-zinc-500">
              As of the last sync, <Time value={fn.lastSyncedAt} />.
            </p>
          </div>
          <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <h3 className="text-base font-semibold">Labels ({fn.labels.length})</h3>
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
        </div>
      </Section>
    </>
  );
}
