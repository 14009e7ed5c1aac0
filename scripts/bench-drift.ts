/**
 * `npm run bench:drift` (tsx --conditions=react-server scripts/bench-drift.ts): how fast
 * and how cheaply drift watch turns a new Nyckel model into a candidate request (issue 16).
 *
 * - A scratch database (scripts/bench/postgres.ts) and its own emulator in a child
 *   process, with Nyckel's limits (25 requests/s, 25 concurrent) and 20–60 ms per invoke.
 * - The text function support-triage with a 200-sample golden set with ground truth;
 *   "Staging" (protected, 1 approval, minimum agreement 80%) watches new models and is
 *   pinned to Nyckel's current model, which was already compared on the golden set.
 * - The scheduled sync every 5 s (MODELPIN_SYNC_INTERVAL_SECONDS=5), and the comparison and
 *   drift workers, in this process, as the app's job workers run them.
 * - Run 1: a model added through the emulator's control API (a retrain that fixed some of
 *   the pin's mistakes: the ground truth is what it answers on 95% of the set, computed with
 *   the emulator's own deterministic predictor), then the wait for its candidate request.
 * - Run 2: a much worse model (flipShare 0.7): it must end drift.rejected, with no request.
 *
 * Prints `RESULT candidate_opened=<0|1> invokes_ratio=<invokes for the evaluation ÷ 200>
 * detect_to_candidate_s=<model created → request opened>` (goals: 1, 0.9–1.0 once the
 * answer cache reuses the pin's answers — about 2 without it —, ≤ 60), then
 * `RESULT worse_model rejected=<0|1> request_opened=<0|1> invokes_ratio=… detect_to_verdict_s=…`.
 */
import { appRuntime } from "./bench/app-modules";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { repoRoot } from "@/scripts/db/database";
import { startEmulatorProcess } from "./bench/emulator-process";
import { scratchDatabase } from "./bench/postgres";
import { runComparisonToEnd, sampleText } from "./bench/world";
import { predict } from "./emulator/models";
import { seededFunction } from "./emulator/seed";
import { EmulatorState } from "./emulator/state";

const SAMPLES = 200;
const SYNC_EVERY_S = 5;
const WAIT_MS = 180_000;
const log = (line: string) => console.log(`[bench:drift] ${line}`);
const fn = seededFunction("support-triage");
const texts = Array.from({ length: SAMPLES }, (_, i) => sampleText(i));

/** Labels of model `modelId` on the texts, as the emulator will answer (the same seeded state, the same added models). */
function answers(state: EmulatorState, modelId: string): string[] {
  const f = state.findFunction(fn.id)!;
  const index = f.models.findIndex((m) => m.id === modelId);
  return texts.map((text) => f.labels[predict(f.id, f.labels, f.models, index, { kind: "text", text }).top]!.name);
}

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function main(): Promise<number> {
  process.chdir(repoRoot());
  const db = await scratchDatabase("bench-drift-postgres", log);
  const emulator = await startEmulatorProcess({ rateLimit: { perSecond: 25, concurrency: 25 }, faults: { pathIncludes: "/invoke", latencyRangeMs: [20, 60] } });
  const cleanups: Array<() => Promise<void>> = [];
  try {
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      NYCKEL_BASE_URL: emulator.url,
      NYCKEL_CLIENT_ID: emulator.clientId,
      NYCKEL_CLIENT_SECRET: emulator.clientSecret,
      NYCKEL_RATE_LIMIT_RPS: "25",
      NYCKEL_MAX_CONCURRENCY: "25",
      MODELPIN_SYNC_INTERVAL_SECONDS: String(SYNC_EVERY_S),
    });
    process.env.LOG_LEVEL ||= "warn";
    // The app's modules read the configuration on first use: import them only now.
    const { prisma, stop } = await appRuntime();
    cleanups.push(stop);
    const { systemContext, createEnvironment, syncFunctions, registerModel, setPin, parseCsv, createSampleSet, startComparisonWorker, startDriftWorker } = await import("./bench/services");

    // ---- the world: functions synced, Staging watching and pinned to Nyckel's current model
    const sys = systemContext("bench");
    await syncFunctions(sys);
    const pinModelId = fn.modelIds.at(-1)!;
    const staging = await createEnvironment(sys, {
      slug: "staging",
      name: "Staging",
      sortOrder: 20,
      protected: true,
      approvalsRequired: 1,
      rejectionBlocks: true,
      requestExpiryHours: 168,
      minAgreementPct: 80,
    });
    await prisma.environment.update({ where: { id: staging.id }, data: { watchNewModels: true } });
    const pinRef = await prisma.model.findUniqueOrThrow({ where: { functionId_modelId: { functionId: fn.id, modelId: pinModelId } }, select: { id: true } });
    await setPin(sys, { environmentId: staging.id, functionId: fn.id, modelRefId: pinRef.id, expectedVersion: 0, reason: "bench base", kind: "pin", breakGlass: true });

    // ---- the golden set: ground truth = the retrained model's answers on 95% of the samples
    const mirror = new EmulatorState();
    const better = `model_bench${randomBytes(6).toString("hex")}`;
    mirror.addModel(fn.id, { modelId: better, flipShare: 0.1 });
    const [pinAnswers, betterAnswers] = [answers(mirror, pinModelId), answers(mirror, better)];
    const truth = texts.map((_, i) => (i % 20 === 7 ? pinAnswers[i]! : betterAnswers[i]!));
    const csv = ["text,label", ...texts.map((t, i) => `${csvCell(t)},${csvCell(truth[i]!)}`)].join("\n");
    const set = await createSampleSet(sys, { functionId: fn.id, name: "bench golden", result: parseCsv(csv) });
    await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: set.id } });
    log(`golden set of ${set.sampleCount} texts with ground truth; Staging pinned to ${pinModelId}`);

    await startComparisonWorker();
    await startDriftWorker();
    // The pin already evaluated on the golden set (its answers are what the answer cache reuses).
    const older = await registerModel(sys, { functionId: fn.id, modelId: fn.modelIds[0]!, nickname: "older", notes: "" });
    const warm = await runComparisonToEnd({ ctx: sys, functionId: fn.id, sampleSetId: set.id, modelRefIds: [pinRef.id, older.id] }, WAIT_MS);
    log(`the pin compared with ${fn.modelIds[0]} on the golden set first: run ${warm.id} ${warm.status}`);

    // ---- the scheduled sync, every 5 s: it discovers the new model and asks drift watch for an evaluation
    const { startFunctionSyncWorker } = await import("./bench/services");
    await startFunctionSyncWorker(SYNC_EVERY_S);

    const measure = async (modelId: string, flipShare: number) => {
      await emulator.resetCounters();
      const created = await emulator.addModel(fn.id, { modelId, flipShare });
      const t0 = performance.now();
      for (;;) {
        // A busy machine may make one poll time out (the app's database timeouts): poll again.
        const e = await prisma.driftEvaluation
          .findFirst({
            where: { functionId: fn.id, environmentId: staging.id, candidateModelId: modelId, status: { not: "running" } },
            select: { status: true, verdict: true, decidedAt: true, request: { select: { createdAt: true, number: true } } },
          })
          .catch((err: unknown) => void log(`poll failed (${String(err).split("\n")[0]}); polling again`));
        if (e) {
          const counters = await emulator.counters();
          const at = e.request?.createdAt ?? e.decidedAt!;
          return { ...e, invokes: counters.invokes, seconds: (at.getTime() - Date.parse(created.createdAt)) / 1000 };
        }
        if (performance.now() - t0 > WAIT_MS) throw new Error(`no verdict on ${modelId} within ${WAIT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    // ---- run 1: the retrained model
    const one = await measure(better, 0.1);
    log(`run 1: ${better} → ${one.status}${one.request ? ` (request #${one.request.number})` : ""}: ${one.verdict}`);
    log(`run 1: the emulator received ${one.invokes} invokes for ${SAMPLES} golden samples`);
    console.log(`RESULT candidate_opened=${one.status === "candidate_opened" ? 1 : 0} invokes_ratio=${(one.invokes / SAMPLES).toFixed(2)} detect_to_candidate_s=${one.seconds.toFixed(1)}`);

    // ---- run 2: a much worse model
    const worse = `model_worse${randomBytes(6).toString("hex")}`;
    const two = await measure(worse, 0.7);
    const requests = await prisma.promotionRequest.count({ where: { functionId: fn.id, targetModelId: worse } });
    log(`run 2: ${worse} → ${two.status}: ${two.verdict}`);
    console.log(
      `RESULT worse_model rejected=${two.status === "rejected" ? 1 : 0} request_opened=${requests > 0 ? 1 : 0} invokes_ratio=${(two.invokes / SAMPLES).toFixed(2)} detect_to_verdict_s=${two.seconds.toFixed(1)}`,
    );
    return one.status === "candidate_opened" && two.status === "rejected" && requests === 0 ? 0 : 1;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((e: unknown) => console.error(e));
    await emulator.close();
    await db.stop().catch((e: unknown) => console.error(e));
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
