/**
 * The README's screenshot of the overview's drift watch panel:
 *
 *   npx tsx --conditions=react-server scripts/screenshot-drift.ts [--out docs/images/drift-watch.png] [--dark]
 *
 * Starts its own database (scratch on DATABASE_URL's server, or a throw-away
 * embedded PostgreSQL) with the development seed, a Nyckel emulator, and
 * `next start` on a production build (NEXT_DIST_DIR, default .next-bench-table,
 * shared with bench:table and screenshot-report; rebuilt only when sources are
 * newer), whose workers run drift watch. Through the services (as the seed
 * does): staging and production watch new models and are pinned to Nyckel's
 * current model of "Support ticket triage", which gets a golden set of 200
 * tickets with ground truth; then Nyckel retrains twice (a good model for
 * staging's candidate, and a poor one that production's stricter gate
 * rejects) and a sync sends each to drift watch. When the verdicts are in,
 * the overview is captured at 1400 px wide as the seeded editor.
 */
import { appRuntime } from "./bench/app-modules";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@/scripts/db/database";
import { DEV_USERS } from "@/lib/seed/dev-users";
import { launchChromium, signIn, withCleanup } from "./bench/app";
import { startSeededApp } from "./bench/seeded-app";
import { sampleText } from "./bench/world";
import { cliOptions, exitWithMain } from "./cli/args";
import { predict } from "./emulator/models";
import { seededFunction } from "./emulator/seed";
import { EmulatorState } from "./emulator/state";

const args = cliOptions({ out: { type: "string", default: "docs/images/drift-watch.png" }, dark: { type: "boolean", default: false } });
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench-table";
const log = (line: string) => console.log(`[screenshot] ${line}`);

async function main(): Promise<number> {
  process.chdir(repoRoot());
  return withCleanup(async (defer) => {
    const { db, emulator, server, encryptionKey } = await startSeededApp("screenshot-drift", DIST_DIR, defer, log);

    // The world, through the services (the app's modules read the configuration on first use).
    Object.assign(process.env, { DATABASE_URL: db.url, NYCKEL_EMULATOR_URL: emulator.url, MODELPIN_ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: "warn" });
    const { prisma, stop } = await appRuntime();
    defer(stop);
    const { systemContext, syncFunctions, setPin, parseCsv, createSampleSet, requestDriftEvaluation } = await import("./bench/services");
    const sys = systemContext("system (screenshot)");
    const fn = seededFunction("support-triage");
    await syncFunctions(sys);
    // Ground truth as a retrain would earn it: the first retrained model's answers on 11 of 12 tickets, the pin's on the rest
    // (computed with the emulator's deterministic predictor on a mirror of its state).
    const retrains = [{ modelId: `model_retrain${randomBytes(4).toString("hex")}`, flipShare: 0.04 }, { modelId: `model_retrain${randomBytes(4).toString("hex")}`, flipShare: 0.06 }];
    const mirror = new EmulatorState();
    for (const r of retrains) mirror.addModel(fn.id, r);
    const f = mirror.findFunction(fn.id)!;
    const label = (modelId: string, text: string) => f.labels[predict(f.id, f.labels, f.models, f.models.findIndex((m) => m.id === modelId), { kind: "text", text }).top]!.name;
    const texts = Array.from({ length: 200 }, (_, i) => sampleText(i));
    const csv = ["text,label", ...texts.map((t, i) => `"${t}",${label(i % 12 === 5 ? fn.modelIds.at(-1)! : retrains[0]!.modelId, t)}`)];
    const set = await createSampleSet(sys, { functionId: fn.id, name: "Support tickets, golden (200)", result: parseCsv(csv.join("\n")) });
    await prisma.nyckelFunction.update({ where: { id: fn.id }, data: { goldenSampleSetId: set.id } });
    const current = await prisma.model.findUniqueOrThrow({ where: { functionId_modelId: { functionId: fn.id, modelId: fn.modelIds.at(-1)! } }, select: { id: true } });
    for (const slug of ["staging", "production"]) {
      const e = await prisma.environment.update({ where: { slug }, data: { watchNewModels: true, minAgreementPct: slug === "production" ? 95 : 80 } });
      await setPin(sys, { environmentId: e.id, functionId: fn.id, modelRefId: current.id, expectedVersion: 0, reason: "the model in service", kind: "pin", breakGlass: true });
    }
    for (const retrain of retrains) {
      const model = emulator.state.addModel(fn.id, retrain);
      await syncFunctions(sys);
      await requestDriftEvaluation({ functionId: fn.id, candidateModelId: model.id, trigger: "discovered" });
      log(`Nyckel retrained: ${model.id}; waiting for drift watch`);
      for (let t = 0; ; t++) {
        const open = await prisma.driftEvaluation.count({ where: { candidateModelId: model.id, status: "running" } });
        const all = await prisma.driftEvaluation.count({ where: { candidateModelId: model.id } });
        if (all === 2 && open === 0) break;
        if (t > 600) throw new Error("drift watch gave no verdict within 5 minutes");
        await new Promise((r) => setTimeout(r, 500));
      }
    }

    const browser = await launchChromium();
    defer(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: args.dark ? "dark" : "light" });
    const page = await context.newPage();
    const editor = DEV_USERS.find((u) => u.role === "editor")!;
    await signIn(page, server.baseUrl, editor.email, editor.password);
    await page.goto(server.baseUrl);
    const panel = page.getByTestId("drift-panel");
    await panel.waitFor();
    const out = path.resolve(args.out);
    await panel.screenshot({ path: out, animations: "disabled" });
    log(`saved ${path.relative(process.cwd(), out)} (${(statSync(out).size / 1024).toFixed(0)} KB)`);
    return 0;
  });
}

exitWithMain(main);
