import "server-only";
import { prisma } from "@/lib/db/client";

export const environmentSelect = {
  id: true,
  slug: true,
  name: true,
  sortOrder: true,
  protected: true,
  approvalsRequired: true,
  rejectionBlocks: true,
  requestExpiryHours: true,
  minAgreementPct: true,
  minAnsweredSamples: true,
  maxErrorPct: true,
  gateLowerBound: true,
  allowCallerModelOverride: true,
  watchNewModels: true,
  driftSignificance: true,
} as const;

export async function listEnvironments() {
  return prisma.environment.findMany({ orderBy: [{ sortOrder: "asc" }, { name: "asc" }], select: environmentSelect });
}


export type EnvironmentRow = Awaited<ReturnType<typeof listEnvironments>>[number];
