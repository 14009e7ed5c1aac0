import "server-only";
import { prisma } from "@/lib/db/client";
import { listEnvironments } from "@/lib/environments/queries";
import { LATEST_MODEL } from "./schemas";

/** An environment for the database-backed resolve answers (signed-in members, `?at=`). */
export async function getEnvironmentForResolve(slug: string): Promise<{ id: string; slug: string; name: string; createdAt: Date } | null> {
  if (!/^[a-z0-9-]{1,60}$/.test(slug)) return null;
  return prisma.environment.findUnique({ where: { slug }, select: { id: true, slug: true, name: true, createdAt: true } });
}

export type TrafficModel = {
  /** A Nyckel model id, or "latest". */
  modelId: string;
  nickname: string | null;
  calls: number;
  errorCalls: number;
  /** Refused by Modelpin's Nyckel budget (429 budget_exhausted), and Nyckel's own 429s; both are in errorCalls. */
  budgetRefusedCalls: number;
  nyckel429Calls: number;
  firstAt: Date;
  lastAt: Date;
  /** This is what the environment serves now. */
  pinned: boolean;
};

export type EnvironmentTraffic = {
  environment: { id: string; slug: string; name: string };
  /** The environment's pin now: a model id, or "latest". */
  pinnedModelId: string;
  pinnedNickname: string | null;
  totalCalls: number;
  totalErrors: number;
  /** Modelpin's own 429 budget_exhausted answers, and Nyckel's 429s that reached callers. */
  budgetRefused: number;
  nyckel429: number;
  /** Calls served with the current pin, and since when (first such call). */
  onPinned: { calls: number; errorCalls: number; since: Date | null };
  /** Calls with any other model (earlier pins, caller overrides, refused requests). */
  otherCalls: number;
  lastAt: Date | null;
  tokenCount: number;
  models: TrafficModel[];
};

/**
 * The invoke proxy's conformance counters for one function, per environment
 * (every environment, in order; those without traffic have zero calls). The
 * counters are written in batches, so the newest few seconds may be missing.
 */
export async function getFunctionTraffic(functionId: string): Promise<EnvironmentTraffic[]> {
  const [environments, usage, tokens, pins, models] = await Promise.all([
    listEnvironments(),
    prisma.proxyUsage.groupBy({
      by: ["environmentId", "modelId"],
      where: { functionId },
      _sum: { calls: true, errorCalls: true, budgetRefusedCalls: true, nyckel429Calls: true },
      _min: { firstAt: true },
      _max: { lastAt: true },
    }),
    prisma.proxyUsage.groupBy({ by: ["environmentId", "tokenId"], where: { functionId } }),
    prisma.pin.findMany({ where: { functionId }, select: { environmentId: true, model: { select: { modelId: true, nickname: true } } } }),
    prisma.model.findMany({ where: { functionId }, select: { modelId: true, nickname: true } }),
  ]);
  const nicknames = new Map(models.map((m) => [m.modelId, m.nickname || null]));
  return environments.map((environment) => {
    const pin = pins.find((p) => p.environmentId === environment.id);
    const pinnedModelId = pin?.model?.modelId ?? LATEST_MODEL;
    const rows: TrafficModel[] = usage
      .filter((u) => u.environmentId === environment.id)
      .map((u) => ({
        modelId: u.modelId,
        nickname: nicknames.get(u.modelId) ?? null,
        calls: Number(u._sum.calls ?? 0),
        errorCalls: Number(u._sum.errorCalls ?? 0),
        budgetRefusedCalls: Number(u._sum.budgetRefusedCalls ?? 0),
        nyckel429Calls: Number(u._sum.nyckel429Calls ?? 0),
        firstAt: u._min.firstAt!,
        lastAt: u._max.lastAt!,
        pinned: u.modelId === pinnedModelId,
      }))
      .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.calls - a.calls || a.modelId.localeCompare(b.modelId));
    const onPinned = rows.find((r) => r.pinned);
    const totalCalls = rows.reduce((n, r) => n + r.calls, 0);
    return {
      environment: { id: environment.id, slug: environment.slug, name: environment.name },
      pinnedModelId,
      pinnedNickname: pin?.model?.nickname || null,
      totalCalls,
      totalErrors: rows.reduce((n, r) => n + r.errorCalls, 0),
      budgetRefused: rows.reduce((n, r) => n + r.budgetRefusedCalls, 0),
      nyckel429: rows.reduce((n, r) => n + r.nyckel429Calls, 0),
      onPinned: { calls: onPinned?.calls ?? 0, errorCalls: onPinned?.errorCalls ?? 0, since: onPinned?.firstAt ?? null },
      otherCalls: totalCalls - (onPinned?.calls ?? 0),
      lastAt: rows.reduce<Date | null>((latest, r) => (latest === null || r.lastAt > latest ? r.lastAt : latest), null),
      tokenCount: tokens.filter((t) => t.environmentId === environment.id).length,
      models: rows,
    };
  });
}
