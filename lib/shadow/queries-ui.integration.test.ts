import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { registerModel } from "@/lib/models/service";
import { getFunctionPins } from "@/lib/pins/queries";
import { setPin } from "@/lib/pins/service";
import { getRequestFormData } from "@/lib/promotions/queries";
import { freezeShadowEvidence } from "./evidence";
import { activeShadowCells, candidatePinnedIn, getShadowLiveState, getShadowReportView, getShadowSection, listShadowEvidence, shadowEvidenceHref } from "./queries-ui";
import { startShadow, stopShadow } from "./service";

/**
 * The pages' reads of shadow evaluation (lib/shadow/queries-ui.ts) against the real database: a shadow
 * started through the service, with aggregates and records written as the recorder writes them.
 */
const sys = systemContext("test");
const tag = () => randomBytes(4).toString("hex");
let editor: ServiceContext;

beforeAll(async () => {
  const u = await prisma.user.create({ data: { email: `shadow-ui-${tag()}@example.com`, name: `Shadow UI ${tag()}`, role: "editor" }, select: { id: true, email: true } });
  editor = { actor: { id: u.id, role: "editor", label: u.email }, requestId: `test-${tag()}` };
});
afterAll(async () => {
  await disconnectPrisma();
});

async function world() {
  const fn = `function_shadowui${tag()}${tag()}`;
  await prisma.nyckelFunction.create({ data: { id: fn, name: `Shadow UI ${fn.slice(-6)}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
  const [base, candidate] = [
    await registerModel(editor, { functionId: fn, modelId: `model_${tag()}${tag()}`, nickname: "Base", notes: "" }),
    await registerModel(editor, { functionId: fn, modelId: `model_${tag()}${tag()}`, nickname: "Candidate", notes: "" }),
  ];
  const t = tag();
  const env = await createEnvironment(sys, { slug: `shadow-ui-${t}`, name: `Shadow UI ${t}`, sortOrder: 60, protected: false, approvalsRequired: 0, rejectionBlocks: true, requestExpiryHours: null, minAgreementPct: null });
  await setPin(editor, { environmentId: env.id, functionId: fn, modelRefId: base.id, expectedVersion: 0, reason: "base", kind: "pin" });
  const shadow = await startShadow(editor, { functionId: fn, environmentId: env.id, candidateModelRefId: candidate.id, sharePct: 50, maxPerSecond: 10 });
  return { fn, env, base, candidate, shadow };
}

/** One hour of aggregates and its records, as the recorder writes them: `agree` of `n` answered, the rest disagreeing. */
async function recorded(shadowId: string, servedModelId: string, opts: { hour: Date; n: number; agree: number; dropped?: number }) {
  await prisma.shadowHour.create({
    data: { shadowId, hour: opts.hour, seen: opts.n * 2, sampled: opts.n + (opts.dropped ?? 0), mirrored: opts.n, answered: opts.n, agree: opts.agree, droppedBudget: opts.dropped ?? 0 },
  });
  await prisma.shadowHourPair.createMany({
    data: [
      { shadowId, hour: opts.hour, servedLabel: "good", candidateLabel: "good", count: opts.agree },
      { shadowId, hour: opts.hour, servedLabel: "good", candidateLabel: "bad", count: opts.n - opts.agree },
    ].filter((p) => p.count > 0),
  });
  await prisma.shadowRecord.createMany({
    data: Array.from({ length: opts.n }, (_, i) => ({
      shadowId,
      at: new Date(opts.hour.getTime() + 1000 * (i + 1)),
      servedModelId,
      servedLabel: "good",
      servedConfidence: 0.9,
      servedLatencyMs: 20,
      candidateLabel: i < opts.agree ? "good" : "bad",
      candidateConfidence: 0.8,
      candidateLatencyMs: 25,
      inputSha256: randomBytes(32).toString("hex"),
    })),
  });
}

const thisHour = () => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);

describe("the shadow pages' reads", () => {
  it("list a running shadow with its counts, the start form's options, and the overview's mark", async () => {
    const w = await world();
    const section = await getShadowSection(w.fn, await getFunctionPins(w.fn));
    expect(section.shadows.map((s) => ({ id: s.id, state: s.state, mirrored: s.mirrored }))).toEqual([{ id: w.shadow.id, state: "active", mirrored: 0 }]);
    const option = section.environments.find((e) => e.id === w.env.id);
    expect(option).toMatchObject({ pinModelRefId: w.base.id, pinLabel: `Base (${w.base.modelId})`, activeShadowId: w.shadow.id });
    expect((await activeShadowCells()).has(`${w.fn} ${w.env.id}`)).toBe(true);

    await recorded(w.shadow.id, w.base.modelId, { hour: thisHour(), n: 8, agree: 6, dropped: 3 });
    const after = await getShadowSection(w.fn, await getFunctionPins(w.fn));
    expect(after.shadows[0]).toMatchObject({ mirrored: 8, dropped: { budget: 3, tooLarge: 0, cap: 0 } });

    await stopShadow(editor, { shadowId: w.shadow.id });
    expect((await activeShadowCells()).has(`${w.fn} ${w.env.id}`)).toBe(false);
    const stopped = await getShadowSection(w.fn, await getFunctionPins(w.fn));
    expect(stopped.shadows.map((s) => s.state)).toEqual(["stopped"]);
    expect(stopped.environments.find((e) => e.id === w.env.id)?.activeShadowId).toBeNull();
  });

  it("the live state's version moves when figures are recorded and when the shadow stops", async () => {
    const w = await world();
    const first = await getShadowLiveState(w.shadow.id);
    expect(first?.status).toBe("active");
    await recorded(w.shadow.id, w.base.modelId, { hour: thisHour(), n: 3, agree: 3 });
    const second = await getShadowLiveState(w.shadow.id);
    expect(second?.version).not.toBe(first?.version);
    await stopShadow(editor, { shadowId: w.shadow.id });
    expect(await getShadowLiveState(w.shadow.id)).toMatchObject({ status: "stopped" });
    expect(await getShadowLiveState("00000000-0000-4000-8000-000000000000")).toBeNull();
  });

  it("names the environment whose pin is the candidate, and only then", async () => {
    const w = await world();
    expect(await candidatePinnedIn({ functionId: w.fn, environmentId: w.env.id, candidateModelRefId: w.base.id })).toBe(w.env.name);
    expect(await candidatePinnedIn({ functionId: w.fn, environmentId: w.env.id, candidateModelRefId: w.candidate.id })).toBeNull();
  });

  it("the report is found only under its own function, with what the environment serves", async () => {
    const w = await world();
    await recorded(w.shadow.id, w.base.modelId, { hour: thisHour(), n: 10, agree: 9 });
    const view = await getShadowReportView(w.fn, w.shadow.id);
    expect(view).toMatchObject({ servedLabel: `Base (${w.base.modelId})`, report: { agreement: { n: 10, agree: 9 } } });
    expect(await getShadowReportView("function_other", w.shadow.id)).toBeNull();
  });

  it("offers a frozen shadow to the request form as the gate sees it, and links the form to it", async () => {
    const w = await world();
    await recorded(w.shadow.id, w.base.modelId, { hour: thisHour(), n: 12, agree: 11 });
    const frozen = await freezeShadowEvidence(editor, { shadowId: w.shadow.id });
    const offered = await listShadowEvidence(w.fn);
    expect(offered).toHaveLength(1);
    expect(offered[0]).toMatchObject({
      id: frozen.snapshotId,
      shadowId: w.shadow.id,
      status: "finished",
      modelA: w.base.modelId,
      modelB: w.candidate.modelId,
      total: 12,
      mirrored: 12,
      agreement: { n: 12, agree: 11 },
      environmentName: w.env.name,
    });
    // The function page's request form gets the same offers.
    expect((await getRequestFormData(w.fn)).shadowSnapshots.map((x) => x.id)).toEqual([frozen.snapshotId]);
    const href = new URL(await shadowEvidenceHref(w.shadow.id, frozen.snapshotId), "http://x");
    expect(href.pathname).toBe(`/functions/${w.fn}`);
    expect(Object.fromEntries(href.searchParams)).toMatchObject({ requestEnvironment: w.env.id, requestTarget: w.candidate.id, requestShadowEvidence: frozen.snapshotId });
  });
});
