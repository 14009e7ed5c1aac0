import "server-only";
import { runAgreements } from "@/lib/compare/queries";
import { prisma } from "@/lib/db/client";
import { modelLabel } from "@/lib/models/label";

/**
 * The overview's drift panel (issue 16): per function with a golden set,
 * Nyckel's latest model, each environment's pin, how many discovered models
 * each pin is behind (discovered after the pinned model was registered; a
 * pin on latest is never behind), and the environment's last evaluation
 * (skipped ones aside) with its agreement, verdict, report and request.
 * Functions without a golden set are only named.
 */

export type DriftCell = {
  environmentId: string;
  pin: { label: string; modelId: string | null };
  /** Discovered models newer than the pin; null when the pin follows latest. */
  behind: number | null;
  last: null | {
    status: string;
    verdict: string | null;
    candidate: string;
    createdAt: Date;
    runId: string | null;
    agreement: { rate: number; low: number; high: number; n: number } | null;
    request: { id: string; number: number; status: string } | null;
  };
  /** Newer than `last`: a skipped request, with its reason (e.g. "already pinned"). */
  skipped: { reason: string | null; createdAt: Date } | null;
};

export type DriftFunction = {
  id: string;
  name: string;
  goldenSet: { id: string; name: string };
  latest: { modelId: string; label: string } | null;
  cells: DriftCell[];
};

export type DriftOverview = {
  environments: Array<{ id: string; name: string; slug: string; watching: boolean }>;
  functions: DriftFunction[];
  withoutGoldenSet: Array<{ id: string; name: string }>;
};

type EvalRow = {
  functionId: string;
  environmentId: string;
  status: string;
  verdict: string | null;
  candidateModelId: string | null;
  createdAt: Date;
  runId: string | null;
  requestId: string | null;
  requestNumber: number | null;
  requestStatus: string | null;
};

export async function getDriftOverview(): Promise<DriftOverview> {
  const [functions, environments, pins, evaluations, skips] = await Promise.all([
    prisma.nyckelFunction.findMany({
      where: { missingSince: null },
      orderBy: { name: "asc" },
      select: {
        id: true,
        name: true,
        currentModelId: true,
        goldenSampleSet: { select: { id: true, name: true, deletedAt: true } },
        models: { where: { discovered: true }, select: { modelId: true, nickname: true, createdAt: true } },
      },
    }),
    prisma.environment.findMany({ orderBy: { sortOrder: "asc" }, select: { id: true, name: true, slug: true, watchNewModels: true } }),
    prisma.pin.findMany({ select: { environmentId: true, functionId: true, model: { select: { modelId: true, nickname: true, createdAt: true } } } }),
    prisma.$queryRaw<EvalRow[]>`
      SELECT DISTINCT ON (e.function_id, e.environment_id)
             e.function_id AS "functionId", e.environment_id::text AS "environmentId", e.status, e.verdict,
             e.candidate_model_id AS "candidateModelId", e.created_at AS "createdAt", e.run_id::text AS "runId",
             e.request_id::text AS "requestId", r.number AS "requestNumber", r.status AS "requestStatus"
      FROM drift_evaluations e LEFT JOIN promotion_requests r ON r.id = e.request_id
      WHERE e.status <> 'skipped'
      ORDER BY e.function_id, e.environment_id, e.created_at DESC`,
    prisma.$queryRaw<Array<{ functionId: string; environmentId: string; verdict: string | null; createdAt: Date }>>`
      SELECT DISTINCT ON (function_id, environment_id) function_id AS "functionId", environment_id::text AS "environmentId", verdict, created_at AS "createdAt"
      FROM drift_evaluations WHERE status = 'skipped'
      ORDER BY function_id, environment_id, created_at DESC`,
  ]);
  const agreements = await runAgreements(evaluations.flatMap((e) => (e.runId ? [e.runId] : [])));
  const key = (f: string, e: string) => `${f}\u0000${e}`;
  const pinOf = new Map(pins.map((p) => [key(p.functionId, p.environmentId), p.model]));
  const lastOf = new Map(evaluations.map((e) => [key(e.functionId, e.environmentId), e]));
  const skipOf = new Map(skips.map((s) => [key(s.functionId, s.environmentId), s]));

  const withGolden = functions.filter((f) => f.goldenSampleSet && !f.goldenSampleSet.deletedAt);
  return {
    environments: environments.map((e) => ({ id: e.id, name: e.name, slug: e.slug, watching: e.watchNewModels })),
    withoutGoldenSet: functions.filter((f) => !withGolden.includes(f)).map((f) => ({ id: f.id, name: f.name })),
    functions: withGolden.map((f) => {
      const latestModel = f.currentModelId ? f.models.find((m) => m.modelId === f.currentModelId) : undefined;
      return {
        id: f.id,
        name: f.name,
        goldenSet: { id: f.goldenSampleSet!.id, name: f.goldenSampleSet!.name },
        latest: f.currentModelId ? { modelId: f.currentModelId, label: modelLabel({ modelId: f.currentModelId, nickname: latestModel?.nickname }) } : null,
        cells: environments.map((env): DriftCell => {
          const pinned = pinOf.get(key(f.id, env.id)) ?? null;
          const e = lastOf.get(key(f.id, env.id));
          const skip = skipOf.get(key(f.id, env.id));
          const agreement = e?.runId ? agreements.get(e.runId) : undefined;
          return {
            environmentId: env.id,
            pin: { label: pinned ? modelLabel(pinned) : "latest", modelId: pinned?.modelId ?? null },
            behind: pinned ? f.models.filter((m) => m.modelId !== pinned.modelId && m.createdAt > pinned.createdAt).length : null,
            last: e
              ? {
                  status: e.status,
                  verdict: e.verdict,
                  candidate: e.candidateModelId ?? "latest",
                  createdAt: e.createdAt,
                  runId: e.runId,
                  agreement: agreement ? { rate: agreement.rate, low: agreement.low, high: agreement.high, n: agreement.n } : null,
                  request: e.requestId && e.requestNumber !== null ? { id: e.requestId, number: e.requestNumber, status: e.requestStatus ?? "" } : null,
                }
              : null,
            skipped: skip && (!e || skip.createdAt > e.createdAt) ? { reason: skip.verdict, createdAt: skip.createdAt } : null,
          };
        }),
      };
    }),
  };
}
