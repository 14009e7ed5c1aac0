/**
 * The living demo of the first `npm run dev` (issue 17): with the emulator only,
 * never with real Nyckel credentials or in production, off with MODELPIN_DEMO=false.
 *
 * Built through the same services as user actions, so everything lands in the
 * audit log as it would for a person: every seeded model registered with a
 * nickname, a support-ticket text set with ground truth (the function's golden
 * set) and a small image set,
 * two finished comparisons with some disagreements, Production pinned through
 * an approved request, Development pinned, and a second Production request
 * waiting for the approvers. Idempotent: a demo already in
 * place (its ticket set exists) is left as it is.
 */
import { userContext, systemContext, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { startComparisonRun } from "@/lib/compare/service";
import { executeRun } from "@/lib/compare/runner";
import { setGoldenSet } from "@/lib/functions/golden";
import { registerModel } from "@/lib/models/service";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { setPin } from "@/lib/pins/service";
import { approveRequest, createRequest } from "@/lib/promotions/service";
import type { NyckelClient } from "@/lib/nyckel/client";
import type { ModelChoice } from "@/lib/compare/schemas";
import { parseCsv, parseImages } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { DEV_USERS } from "@/lib/seed/dev-users";
import { SEED, SEEDED_FUNCTIONS } from "@/scripts/emulator/seed";
import { tinyPng } from "@/scripts/testing/nyckel";
import { DEMO_TICKETS } from "./tickets";

export const DEMO_TICKET_SET = "Support tickets (demo)";
const DEMO_IMAGE_SET = "Pet photos (demo)";

/** On with the emulator in development, unless MODELPIN_DEMO=false. */
export function demoEnabled(env: NodeJS.ProcessEnv, usesEmulator: boolean): boolean {
  return usesEmulator && env.NODE_ENV !== "production" && env.MODELPIN_DEMO?.trim().toLowerCase() !== "false";
}

const MONTH = new Intl.DateTimeFormat("en", { month: "long", year: "numeric", timeZone: "UTC" });

/** The demo acts as the seeded users (the audit log then reads like people's work), else as "system (demo)". */
async function contextOf(email: string | undefined): Promise<ServiceContext> {
  const user = email ? await prisma.user.findUnique({ where: { email }, select: { id: true, role: true, email: true } }) : null;
  return user ? userContext(user, crypto.randomUUID()) : systemContext("system (demo)");
}

/** Every seeded model of every synced function, nicknamed after the month it was trained. Returns model row ids by Nyckel id. */
async function registerModels(ctx: ServiceContext): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const fn of SEEDED_FUNCTIONS) {
    if (!(await prisma.nyckelFunction.findUnique({ where: { id: fn.id }, select: { id: true } }))) continue;
    const seeded = SEED.find((s) => s.key === fn.key);
    for (const [index, modelId] of fn.modelIds.entries()) {
      const trained = seeded?.models[index]?.createdAt;
      const nickname = `${trained ? MONTH.format(new Date(trained)) : `Model ${index + 1}`}${index === 0 ? " baseline" : " retrain"}`;
      const notes = "Registered by the demo of the first start.";
      const existing = await prisma.model.findUnique({ where: { functionId_modelId: { functionId: fn.id, modelId } }, select: { id: true, nickname: true } });
      // Registering the id a sync discovered (no nickname yet) names that row.
      ids.set(modelId, existing?.nickname ? existing.id : (await registerModel(ctx, { functionId: fn.id, modelId, nickname, notes })).id);
    }
  }
  return ids;
}

/** Runs a comparison of the ticket set to its end, here and now (the queued job then finds it finished). */
async function compare(ctx: ServiceContext, client: NyckelClient, functionId: string, sampleSetId: string, modelA: ModelChoice, modelB: ModelChoice): Promise<string> {
  const run = await startComparisonRun(ctx, { functionId, sampleSetId, modelA, modelB });
  await executeRun(run.id, { client });
  return run.id;
}

function modelRef(ids: Map<string, string>, modelId: string | undefined): string {
  const id = modelId ? ids.get(modelId) : undefined;
  if (!id) throw new Error(`demo: model ${modelId ?? "(none)"} is not registered`);
  return id;
}

async function environmentId(slug: string): Promise<string | null> {
  return (await prisma.environment.findUnique({ where: { slug }, select: { id: true } }))?.id ?? null;
}

/**
 * Builds the demo once. `log` gets one line per step. Returns false when the
 * demo was already in place or cannot be built (no synced functions, no Nyckel client).
 */
export async function buildDemo(log: (line: string) => void): Promise<boolean> {
  const triage = SEEDED_FUNCTIONS.find((f) => f.key === "support-triage");
  const pets = SEEDED_FUNCTIONS.find((f) => f.key === "pets");
  if (!triage || !pets) return false;
  if (!(await prisma.nyckelFunction.findUnique({ where: { id: triage.id }, select: { id: true } }))) {
    log("demo skipped: the emulator's functions are not synced");
    return false;
  }
  if (await prisma.sampleSet.findFirst({ where: { functionId: triage.id, name: DEMO_TICKET_SET, deletedAt: null }, select: { id: true } })) {
    log("demo: already in place");
    return false;
  }
  const nyckel = await getNyckelClient();
  if (!nyckel) {
    log("demo skipped: Nyckel is not configured");
    return false;
  }
  const ctx = await contextOf(DEV_USERS.find((u) => u.role === "editor")?.email);
  const ids = await registerModels(ctx);

  const csv = ["text,label", ...DEMO_TICKETS.map(([text, label]) => `"${text.replaceAll('"', '""')}",${label}`)].join("\n");
  const tickets = await createSampleSet(ctx, { functionId: triage.id, name: DEMO_TICKET_SET, result: parseCsv(csv, { inputKind: "text" }) });
  // Drift watch evaluates Nyckel's new models of this function on it (Staging and Production watch).
  await setGoldenSet(ctx, { functionId: triage.id, sampleSetId: tickets.id });
  const colours: Array<[number, number, number]> = [[230, 120, 40], [40, 40, 40], [200, 200, 190], [90, 140, 60], [60, 110, 200], [180, 60, 60], [240, 220, 120], [120, 80, 50]];
  const images = colours.map((rgb, i) => new File([tinyPng(24 + i, 24 + i, rgb)], `pet-${i + 1}.png`, { type: "image/png" }));
  if (await prisma.nyckelFunction.findUnique({ where: { id: pets.id }, select: { id: true } })) {
    await createSampleSet(ctx, { functionId: pets.id, name: DEMO_IMAGE_SET, result: await parseImages(images) });
  }
  log(`demo: registered ${ids.size} models, saved "${DEMO_TICKET_SET}" (${tickets.sampleCount} tickets with ground truth) and "${DEMO_IMAGE_SET}"`);

  // Production moves from `latest` to the April retrain through a reviewed request, then the
  // September retrain is compared with that pin and waits for the approvers.
  const [april, september] = [modelRef(ids, triage.modelIds[1]), modelRef(ids, triage.modelIds.at(-1))];
  const production = await environmentId("production");
  if (production) {
    const first = await compare(ctx, nyckel.client, triage.id, tickets.id, { kind: "pinned", environmentId: production }, { kind: "model", modelRefId: april });
    const opened = await createRequest(ctx, {
      functionId: triage.id,
      environmentId: production,
      targetModelRefId: april,
      reason: "Demo: pin Production to the April retrain so Nyckel's retraining cannot change it by surprise.",
      evidenceRunId: first,
    });
    for (const approver of DEV_USERS.filter((u) => u.role === "approver")) {
      await approveRequest(await contextOf(approver.email), { requestId: opened.id, comment: "Looks good on the ticket set." });
    }
    const second = await compare(ctx, nyckel.client, triage.id, tickets.id, { kind: "pinned", environmentId: production }, { kind: "model", modelRefId: september });
    await createRequest(ctx, {
      functionId: triage.id,
      environmentId: production,
      targetModelRefId: september,
      reason: "Demo: the September retrain agrees with Production's pin on most tickets and is better on refunds. Approve or reject it as an approver.",
      evidenceRunId: second,
    });
  }
  const development = await environmentId("development");
  if (development) {
    const pin = await prisma.pin.findUnique({ where: { environmentId_functionId: { environmentId: development, functionId: triage.id } }, select: { version: true } });
    await setPin(ctx, {
      environmentId: development,
      functionId: triage.id,
      modelRefId: september,
      expectedVersion: pin?.version ?? 0,
      reason: "Demo: try the September retrain in Development while Production's request is reviewed.",
      kind: "pin",
    });
  }
  log("demo: two finished comparisons, Production pinned by an approved request, Development pinned, and a Production request waiting for the approvers");
  return true;
}
