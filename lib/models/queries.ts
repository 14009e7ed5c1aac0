import "server-only";
import { prisma, type Tx } from "@/lib/db/client";

/** A model registered for a function, as its page lists it: who registered it, and where it is pinned now. */
export type FunctionModelRow = {
  id: string;
  modelId: string;
  nickname: string;
  notes: string;
  discovered: boolean;
  retiredAt: Date | null;
  createdAt: Date;
  /** When Nyckel answered with this id (checked before saving, or reported by a sync); null if not verified. */
  verifiedAt: Date | null;
  /** Why the id is not verified; null when verified or registered before ids were checked. */
  verificationNote: string | null;
  /** The name of the member who registered it; null when none did (a sync discovered it). */
  registeredBy: string | null;
  pinnedIn: Array<{ id: string; name: string; slug: string }>;
};

/** The models registered for one function, newest first and retired last, with where each is pinned now. */
export async function listModelsForFunction(functionId: string): Promise<FunctionModelRow[]> {
  const rows = await prisma.model.findMany({
    where: { functionId },
    orderBy: [{ retiredAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: {
      id: true,
      modelId: true,
      nickname: true,
      notes: true,
      discovered: true,
      retiredAt: true,
      createdAt: true,
      verifiedAt: true,
      verificationNote: true,
      registeredBy: { select: { name: true } },
      pins: { select: { environment: { select: { id: true, name: true, slug: true, sortOrder: true } } } },
    },
  });
  return rows.map(({ pins, registeredBy, ...m }) => ({
    ...m,
    registeredBy: registeredBy?.name ?? null,
    pinnedIn: pins
      .map((p) => p.environment)
      .sort((a, b) => a.sortOrder - b.sortOrder || a.name.localeCompare(b.name))
      .map(({ id, name, slug }) => ({ id, name, slug })),
  }));
}

/**
 * The model ids Modelpin has seen from Nyckel for a function and nobody has registered yet:
 * the current models each sync discovered (drift watch's candidates are among them), not
 * named and not retired, newest first, with when a sync first saw each.
 */
export async function listUnregisteredIds(functionId: string): Promise<Array<{ modelId: string; firstSeenAt: Date }>> {
  const rows = await prisma.model.findMany({
    where: { functionId, discovered: true, nickname: "", retiredAt: null },
    orderBy: { createdAt: "desc" },
    select: { modelId: true, createdAt: true },
  });
  return rows.map((r) => ({ modelId: r.modelId, firstSeenAt: r.createdAt }));
}

/** One model by its row id (any function, retired or not), or null; `db` may be a transaction. */
export async function findModelRef(db: Pick<Tx, "model">, id: string): Promise<{ id: string; modelId: string; nickname: string } | null> {
  return db.model.findUnique({ where: { id }, select: { id: true, modelId: true, nickname: true } });
}

/** The models that can be pinned or requested for a function (registered, not retired), newest first. */
export async function listPinnableModels(functionId: string): Promise<Array<{ id: string; modelId: string; nickname: string }>> {
  return prisma.model.findMany({ where: { functionId, retiredAt: null }, orderBy: { createdAt: "desc" }, select: { id: true, modelId: true, nickname: true } });
}

/** Nicknames of models given as (function, model id) pairs, keyed "functionId|modelId"; unregistered ids are absent. */
export async function modelNicknamesByModelId(pairs: ReadonlyArray<{ functionId: string; modelId: string }>): Promise<Map<string, string>> {
  if (!pairs.length) return new Map();
  const models = await prisma.model.findMany({ where: { OR: [...pairs] }, select: { functionId: true, modelId: true, nickname: true } });
  return new Map(models.map((m) => [`${m.functionId}|${m.modelId}`, m.nickname]));
}
