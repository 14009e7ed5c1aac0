import "server-only";
import { prisma } from "@/lib/db/client";

export async function listFunctions() {
  return prisma.nyckelFunction.findMany({
    orderBy: [{ missingSince: { sort: "asc", nulls: "first" } }, { name: "asc" }],
    select: { id: true, name: true, inputType: true, outputType: true, labelCount: true, lastSyncedAt: true, missingSince: true, currentModelId: true },
  });
}

export async function countFunctions() {
  return prisma.nyckelFunction.count();
}

export async function getFunctionDetail(id: string) {
  return prisma.nyckelFunction.findUnique({
    where: { id },
    select: {
      id: true,
      name: true,
      inputType: true,
      outputType: true,
      labelCount: true,
      lastSyncedAt: true,
      missingSince: true,
      currentModelId: true,
      latestProbeAt: true,
      goldenSampleSet: { select: { id: true, name: true, sampleCount: true, labeledCount: true, deletedAt: true } },
      labels: { orderBy: { name: "asc" }, select: { id: true, name: true, description: true } },
    },
  });
}


/** How many synced functions Nyckel reports no current model id for (drift watch then probes `latest`). */
export async function countFunctionsWithoutCurrentModel(): Promise<{ without: number; total: number }> {
  const [without, total] = await Promise.all([
    prisma.nyckelFunction.count({ where: { currentModelId: null, missingSince: null } }),
    prisma.nyckelFunction.count({ where: { missingSince: null } }),
  ]);
  return { without, total };
}
