import "server-only";
import { prisma } from "@/lib/db/client";

export async function listSampleSets(functionId: string) {
  return prisma.sampleSet.findMany({
    where: { functionId, deletedAt: null },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      sampleCount: true,
      labeledCount: true,
      duplicateCount: true,
      rejectedCount: true,
      totalBytes: true,
      kinds: true,
      createdByLabel: true,
      createdAt: true,
    },
  });
}

export type SampleSetRow = Awaited<ReturnType<typeof listSampleSets>>[number];
