import "server-only";
import { prisma } from "@/lib/db/client";
import { listEnvironments } from "@/lib/environments/queries";

/**
 * Reads of pins. Point in time ("what was pinned in environment E at time T")
 * comes from pin_revisions: one append-only row per pin version, written in
 * the same transaction as the pin and its audit event, with the time of the
 * change. The pin of function F in E at T is the revision of (E, F) with the
 * highest version whose created_at ≤ T; none means "latest", version 0.
 * Without T, the answer is the pins table itself (the current state).
 */

const modelSelect = { id: true, modelId: true, nickname: true, retiredAt: true } as const;

/** A pinned model (retiredAt: retired since, or null). */
export type PinModel = { id: string; modelId: string; nickname: string; retiredAt: Date | null };

/** An environment as a function's pins show it. */
export type PinEnvironment = { id: string; slug: string; name: string; protected: boolean; approvalsRequired: number };

/** The current pin of one function in one environment; `kind` and `restoredVersion` come from its revision. */
export type CurrentPin = {
  version: number;
  model: PinModel | null;
  reason: string;
  breakGlass: boolean;
  updatedAt: Date;
  updatedBy: string;
  kind: string;
  restoredVersion: number | null;
};

/** One row of a function's pins table: an environment and its pin (null: never pinned, latest). */
export type FunctionPinRow = { environment: PinEnvironment; pin: CurrentPin | null };

/** One version of a pin in its history. */
export type PinRevisionRow = {
  id: string;
  version: number;
  kind: string;
  reason: string;
  breakGlass: boolean;
  restoredVersion: number | null;
  createdAt: Date;
  /** The member's name, or the label of who changed it (a sync, a job). */
  actor: string;
  auditEventId: string;
  model: PinModel | null;
};

/** Each environment's current pin of one function, with its version and model (environments never pinned have no row). */
export async function listCurrentPins(functionId: string) {
  return prisma.pin.findMany({ where: { functionId }, select: { environmentId: true, version: true, model: { select: { id: true, modelId: true, nickname: true } } } });
}

/** Every environment (in environment order) with its current pin of one function. */
export async function getFunctionPins(functionId: string): Promise<FunctionPinRow[]> {
  const [environments, pins] = await Promise.all([
    listEnvironments(),
    prisma.pin.findMany({
      where: { functionId },
      select: {
        environmentId: true,
        version: true,
        reason: true,
        breakGlass: true,
        updatedAt: true,
        model: { select: modelSelect },
        updatedBy: { select: { name: true } },
      },
    }),
  ]);
  const revisions = pins.length
    ? await prisma.pinRevision.findMany({
        where: { functionId, OR: pins.map((p) => ({ environmentId: p.environmentId, version: p.version })) },
        select: { environmentId: true, kind: true, restoredVersion: true, actorLabel: true },
      })
    : [];
  return environments.map((environment) => {
    const pin = pins.find((p) => p.environmentId === environment.id);
    const revision = revisions.find((r) => r.environmentId === environment.id);
    return {
      environment: { id: environment.id, slug: environment.slug, name: environment.name, protected: environment.protected, approvalsRequired: environment.approvalsRequired },
      pin: pin
        ? {
            version: pin.version,
            model: pin.model,
            reason: pin.reason,
            breakGlass: pin.breakGlass,
            updatedAt: pin.updatedAt,
            updatedBy: pin.updatedBy?.name ?? revision?.actorLabel ?? "system",
            kind: revision?.kind ?? "pin",
            restoredVersion: revision?.restoredVersion ?? null,
          }
        : null,
    };
  });
}

/** The history of one function's pins, newest first, per environment (at most `limit` each). */
export async function listPinTimeline(functionId: string, limit = 100): Promise<Map<string, PinRevisionRow[]>> {
  const rows = await prisma.pinRevision.findMany({
    where: { functionId },
    orderBy: [{ environmentId: "asc" }, { version: "desc" }],
    select: {
      id: true,
      environmentId: true,
      version: true,
      kind: true,
      reason: true,
      breakGlass: true,
      restoredVersion: true,
      createdAt: true,
      actorLabel: true,
      auditEventId: true,
      actor: { select: { name: true } },
      model: { select: modelSelect },
    },
  });
  const byEnvironment = new Map<string, PinRevisionRow[]>();
  for (const { environmentId, actor, actorLabel, auditEventId, ...r } of rows) {
    const list = byEnvironment.get(environmentId) ?? [];
    if (list.length < limit) list.push({ ...r, actor: actor?.name ?? actorLabel, auditEventId: auditEventId.toString() });
    byEnvironment.set(environmentId, list);
  }
  return byEnvironment;
}

export type PinAt = {
  functionId: string;
  functionName: string;
  /** Null: latest (not pinned). */
  modelId: string | null;
  modelRefId: string | null;
  nickname: string | null;
  version: number;
  /** When this version was set; null when never pinned. */
  updatedAt: Date | null;
  breakGlass: boolean;
};

export type EnvironmentRef = { id: string; slug: string; name: string };

export async function getEnvironmentBySlug(slug: string): Promise<EnvironmentRef | null> {
  if (!/^[a-z0-9-]{1,60}$/.test(slug)) return null;
  return prisma.environment.findUnique({ where: { slug }, select: { id: true, slug: true, name: true } });
}

type PinState = Omit<PinAt, "functionId" | "functionName">;

const UNPINNED: PinState = { modelId: null, modelRefId: null, nickname: null, version: 0, updatedAt: null, breakGlass: false };

async function listFunctionNames(functionId?: string) {
  return prisma.nyckelFunction.findMany({
    where: functionId ? { id: functionId } : {},
    orderBy: [{ name: "asc" }, { id: "asc" }],
    select: { id: true, name: true },
  });
}

/** Pin state per function id in one environment, now (pins) or at `at` (pin_revisions). */
async function pinStates(environmentId: string, at: Date | undefined, functionId: string | undefined): Promise<Map<string, PinState>> {
  const states = new Map<string, PinState>();
  if (at === undefined) {
    const pins = await prisma.pin.findMany({
      where: { environmentId, ...(functionId ? { functionId } : {}) },
      select: { functionId: true, version: true, updatedAt: true, breakGlass: true, model: { select: { id: true, modelId: true, nickname: true } } },
    });
    for (const p of pins) {
      states.set(p.functionId, {
        modelId: p.model?.modelId ?? null,
        modelRefId: p.model?.id ?? null,
        nickname: p.model?.nickname ?? null,
        version: p.version,
        updatedAt: p.updatedAt,
        breakGlass: p.breakGlass,
      });
    }
    return states;
  }
  const rows = await prisma.$queryRaw<
    { function_id: string; version: number; model_id: string | null; model_ref_id: string | null; nickname: string | null; created_at: Date; break_glass: boolean }[]
  >`
    SELECT DISTINCT ON (r.function_id) r.function_id, r.version, r.model_id, r.model_ref_id, m.nickname, r.created_at, r.break_glass
    FROM pin_revisions r LEFT JOIN models m ON m.id = r.model_ref_id
    WHERE r.environment_id = ${environmentId}::uuid AND r.created_at <= ${at}
      AND (${functionId ?? null}::text IS NULL OR r.function_id = ${functionId ?? null}::text)
    ORDER BY r.function_id, r.version DESC`;
  for (const r of rows) {
    states.set(r.function_id, {
      modelId: r.model_id,
      modelRefId: r.model_ref_id,
      nickname: r.nickname,
      version: r.version,
      updatedAt: r.created_at,
      breakGlass: r.break_glass,
    });
  }
  return states;
}

/**
 * The pins of every synced function (or one) in one environment, now or at
 * time `at`. Every function is listed; unpinned ones have modelId null.
 */
export async function getPinsAt(environmentId: string, options: { at?: Date; functionId?: string } = {}): Promise<PinAt[]> {
  const [functions, states] = await Promise.all([listFunctionNames(options.functionId), pinStates(environmentId, options.at, options.functionId)]);
  return functions.map((f) => ({ functionId: f.id, functionName: f.name, ...(states.get(f.id) ?? UNPINNED) }));
}

/** Functions × environments, now or at `at` (the home overview), optionally for one function. */
export async function getPinOverview(options: { at?: Date; functionId?: string } = {}) {
  const [environments, functions] = await Promise.all([listEnvironments(), listFunctionNames(options.functionId)]);
  const columns = await Promise.all(environments.map((e) => pinStates(e.id, options.at, options.functionId)));
  return {
    environments,
    functions: functions.map((f) => ({ ...f, cells: columns.map((states) => states.get(f.id) ?? UNPINNED) })),
  };
}

export type PinOverview = Awaited<ReturnType<typeof getPinOverview>>;
