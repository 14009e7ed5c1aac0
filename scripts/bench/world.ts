/**
 * The app's world for the benches (bench:api, bench:budget, bench:compare): the
 * sample texts, an unprotected environment with the emulator's functions, and a
 * comparison run through the real job path.
 */
import { performance } from "node:perf_hooks";

const TOPICS = ["invoice", "password", "order", "screen", "refund", "login", "shipping", "crash", "upgrade", "receipt"];

/** The text of bench sample `i` (deterministic, varied enough for the emulator's models to disagree). */
export function sampleText(i: number): string {
  return `bench ticket ${i}: my ${TOPICS[i % TOPICS.length]} ${i % 7 === 0 ? "keeps failing" : "is wrong"} (${(i * 7919) % 1000})`;
}

/**
 * The serving world of bench:api and bench:budget: an unprotected environment `slug`
 * (no approvals) and the emulator's functions synced. The app's modules are imported
 * here, after the caller has set DATABASE_URL and the Nyckel settings.
 */
export async function seedBenchEnvironment(slug: string, actor: string) {
  const { systemContext } = await import("@/lib/context");
  const { createEnvironment } = await import("@/lib/environments/service");
  const { syncFunctions } = await import("@/lib/functions/service");
  const sys = systemContext(actor);
  const environment = await createEnvironment(sys, {
    slug,
    name: "Bench",
    sortOrder: 5,
    protected: false,
    approvalsRequired: 0,
    rejectionBlocks: true,
    requestExpiryHours: null,
    minAgreementPct: null,
  });
  await syncFunctions(sys);
  return { sys, environment };
}

type ComparisonStart = {
  ctx: import("@/lib/context").ServiceContext;
  functionId: string;
  sampleSetId: string;
  modelRefIds: [string, string];
};

/** Starts a comparison of two registered models through the real job path and polls until it ends. */
export async function runComparisonToEnd(start: ComparisonStart, timeoutMs: number): Promise<{ id: string; status: string }> {
  const { startComparisonRun } = await import("@/lib/compare/service");
  const { prisma } = await import("@/lib/db/client");
  const t0 = performance.now();
  const run = await startComparisonRun(start.ctx, {
    functionId: start.functionId,
    sampleSetId: start.sampleSetId,
    modelA: { kind: "model", modelRefId: start.modelRefIds[0] },
    modelB: { kind: "model", modelRefId: start.modelRefIds[1] },
  });
  let status = "queued";
  while (!["finished", "failed", "cancelled"].includes(status)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`the run did not finish within ${timeoutMs / 1000} s (status ${status})`);
    await new Promise((r) => setTimeout(r, 250));
    status = (await prisma.comparisonRun.findUniqueOrThrow({ where: { id: run.id }, select: { status: true } })).status;
  }
  return { id: run.id, status };
}
