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
      labels: { orderBy: { name: "asc" }, select: { id: true, name: true, description: true } },
    },
  });
}

