import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { LazyStartRunForm } from "@/components/compare/lazy-parts";
import { LazySampleSetsClient } from "@/components/samples/lazy-sample-sets";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";
import { getFunctionDetail } from "@/lib/functions/queries";
import { MAX_IMAGE_BYTES, MAX_SAMPLES_PER_SET, MAX_SET_BYTES, formatBytes } from "@/lib/samples/parse";
import { listSampleSets } from "@/lib/samples/queries";
import { decodeParam } from "@/lib/url";
import { listEnvironments } from "@/lib/environments/queries";
import { listModelsForFunction } from "@/lib/models/queries";
import { modelLabel } from "@/lib/models/label";
import { textLinkClass } from "@/components/ui/text-link";

export const metadata: Metadata = { title: "Sample sets" };

export default async function SampleSetsPage({ params }: { params: Promise<{ functionId: string }> }) {
  const { functionId } = await params;
  const user = await requirePagePermission("comparisons:read");
  const fn = await getFunctionDetail(decodeParam(functionId));
  if (!fn) notFound();
  const [sets, models, environments] = await Promise.all([listSampleSets(fn.id), listModelsForFunction(fn.id), listEnvironments()]);
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={`/functions/${encodeURIComponent(fn.id)}`} className={textLinkClass}>
          ← {fn.name}
        </Link>
      </p>
      <PageHeader
        title="Sample sets"
        description={`Named, reusable inputs for comparing models of ${fn.name} (${fn.inputType} input).`}
      />
      {can(user.role, "comparisons:run") ? (
        <div className="mb-10">
          <LazyStartRunForm
            functionId={fn.id}
            sampleSets={sets.map((s) => ({ id: s.id, label: `${s.name} (${s.sampleCount})` }))}
            models={models.filter((m) => !m.retiredAt).map((m) => ({ id: m.id, label: modelLabel(m) }))}
            environments={environments.map((e) => ({ id: e.id, label: e.name }))}
          />
        </div>
      ) : null}
      <LazySampleSetsClient
        functionId={fn.id}
        inputType={fn.inputType}
        canWrite={can(user.role, "samples:write")}
        limits={{ image: formatBytes(MAX_IMAGE_BYTES), samples: MAX_SAMPLES_PER_SET.toLocaleString("en"), set: formatBytes(MAX_SET_BYTES) }}
        sets={sets}
        goldenSampleSetId={fn.goldenSampleSet && !fn.goldenSampleSet.deletedAt ? fn.goldenSampleSet.id : null}
      />
    </>
  );
}
