/**
 * A shadow frozen as evidence for a promotion request (issue 18): the frozen summary names the
 * window and the mirrored requests, and the environment's evidence gate judges it exactly as it
 * judges a comparison run (lib/promotions/gate.ts). Real PostgreSQL, the emulator as Nyckel, the
 * invoke proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { syncFunctions } from "@/lib/functions/service";
import type { EvidenceSummary } from "@/lib/promotions/evidence";
import { evaluateGate, gatePolicyOf } from "@/lib/promotions/gate";
import { createRequest } from "@/lib/promotions/service";
import { shadowTestWorld } from "@/scripts/testing/shadow-world";
import { releaseServing } from "@/scripts/testing/teardown";
import { bearer, getPins, invoke, modelRef, newToken, pinTo, sleep, sys, tag, until } from "@/scripts/testing/serving";
import { refreshShadowCache } from "./cache";
import { freezeShadowEvidence, shadowEvidenceRun } from "./evidence";
import { shadowSnapshotsOfFunction } from "./queries";
import { startShadow, stopShadow } from "./service";

const { triage, served: SERVED, candidate: CANDIDATE } = shadowTestWorld();

async function gatedEnvironment(gate: { minAgreementPct: number; gateLowerBound?: boolean; minAnsweredSamples?: number }) {
  const t = tag();
  return createEnvironment(sys, {
    slug: `shadow-ev-${t}`,
    name: `Shadow ev ${t}`,
    sortOrder: 600,
    // Unprotected, so the test can pin it directly; a request still needs one approval.
    protected: false,
    approvalsRequired: 1,
    rejectionBlocks: true,
    requestExpiryHours: null,
    minAgreementPct: gate.minAgreementPct,
    minAnsweredSamples: gate.minAnsweredSamples ?? 30,
    gateLowerBound: gate.gateLowerBound ?? false,
  });
}

/** A shadow of 100% on a fresh gated environment, `n` proxied requests through it, frozen. */
async function frozenShadow(gate: Parameters<typeof gatedEnvironment>[0], n: number) {
  const environment = await gatedEnvironment(gate);
  await pinTo(environment.id, triage.id, SERVED);
  const { token } = await newToken(environment.id);
  await until(async () => (await getPins("any", bearer(token))).status !== 401, 3000);
  const shadow = await startShadow(sys, {
    functionId: triage.id,
    environmentId: environment.id,
    candidateModelRefId: await modelRef(triage.id, CANDIDATE),
    sharePct: 100,
    maxPerSecond: 1000,
  });
  await refreshShadowCache();
  const send = async (text: string) => {
    const body = JSON.stringify({ data: text });
    const res = await invoke(triage.id, { headers: { ...bearer(token), "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body });
    expect(res.status).toBe(200);
  };
  // The budget's shadow share follows the shadow's demand (docs/budget.md): a short run-in first.
  for (let i = 0; i < 3; i++) await send(`run-in ${i}`);
  await sleep(1_600);
  for (let i = 0; i < n; i++) await send(`ticket ${i}: ${["refund", "login", "late order", "invoice", "crash"][i % 5]} ${i * 37}`);
  await sleep(200);
  const frozen = await freezeShadowEvidence(sys, { shadowId: shadow.id });
  return { environment, shadow, frozen };
}

beforeAll(async () => {
  await syncFunctions(sys);
}, 30_000);

afterAll(() => releaseServing({ shadow: true, usage: true, budget: true }));

describe("shadow evaluation as promotion evidence", () => {
  it("freezes the window and the mirrored requests, and opens a request the gate lets through", async () => {
    const { environment, shadow, frozen } = await frozenShadow({ minAgreementPct: 1 }, 40);
    const s = frozen.summary;
    expect(s.shadow).toMatchObject({ shadowId: shadow.id, snapshotId: frozen.snapshotId, environment: environment.slug, sharePct: 100 });
    expect(new Date(s.shadow!.window.from).getTime()).toBeLessThanOrEqual(new Date(shadow.createdAt).getTime());
    expect(s.samples).toBe(s.shadow!.mirrored);
    expect(s.samples).toBeGreaterThanOrEqual(40);
    expect(s.modelA.modelId).toBe(SERVED);
    expect(s.modelB.modelId).toBe(CANDIDATE);
    expect(s.agreement.n).toBe(s.answered);
    expect(s.agreement.ciLow).toBeLessThanOrEqual(s.agreement.rate!);
    const records = await prisma.shadowRecord.count({ where: { shadowId: shadow.id } });
    expect(s.samples).toBe(records);
    expect((await shadowSnapshotsOfFunction(triage.id)).find((x) => x.id === frozen.snapshotId)).toMatchObject({
      shadowId: shadow.id,
      environment: { id: environment.id },
      mirrored: s.samples,
      servedModelId: SERVED,
      candidateModelId: CANDIDATE,
    });

    const outcome = await createRequest(sys, {
      functionId: triage.id,
      environmentId: environment.id,
      targetModelRefId: await modelRef(triage.id, CANDIDATE),
      reason: "the candidate on live traffic",
      evidenceShadowSnapshotId: frozen.snapshotId,
    });
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id: outcome.id } });
    expect(row).toMatchObject({ status: "pending", evidenceShadowSnapshotId: frozen.snapshotId, evidenceRunId: null });
    const summary = row.evidenceSummary as EvidenceSummary;
    expect(summary).toMatchObject({ currentSide: "a", samples: s.samples, agreement: s.agreement, gate: { minAgreementPct: 1, passed: true }, shadow: { snapshotId: frozen.snapshotId } });
    // Frozen like the rest of the request.
    await expect(prisma.$executeRaw`UPDATE promotion_requests SET evidence_shadow_snapshot_id = NULL WHERE id = ${outcome.id}::uuid`).rejects.toThrow(/immutable/);
    await stopShadow(sys, { shadowId: shadow.id });
  }, 90_000);

  it("is judged by the gate exactly as a comparison run: the same verdict and message", async () => {
    const { environment, shadow, frozen } = await frozenShadow({ minAgreementPct: 100, gateLowerBound: true }, 35);
    const target = await modelRef(triage.id, CANDIDATE);
    const snapshot = await prisma.shadowSnapshot.findUniqueOrThrow({ where: { id: frozen.snapshotId } });
    const env = await prisma.environment.findUniqueOrThrow({ where: { id: environment.id } });
    const expected = evaluateGate(
      shadowEvidenceRun({ ...snapshot, functionId: triage.id }),
      { functionId: triage.id, environmentName: env.name, currentModelId: SERVED, targetModelId: CANDIDATE, now: new Date() },
      gatePolicyOf(env),
    );
    expect(expected.ok).toBe(false);
    await expect(
      createRequest(sys, { functionId: triage.id, environmentId: environment.id, targetModelRefId: target, reason: "try", evidenceShadowSnapshotId: frozen.snapshotId }),
    ).rejects.toThrow(expected.ok ? "unreachable" : expected.message);

    // Evidence about other models than the pin and the target does not match.
    const other = await modelRef(triage.id, triage.modelIds[2]!);
    await expect(
      createRequest(sys, { functionId: triage.id, environmentId: environment.id, targetModelRefId: other, reason: "other", evidenceShadowSnapshotId: frozen.snapshotId }),
    ).rejects.toThrow(/evidence must compare/);
    // One piece of evidence at a time.
    await expect(
      createRequest(sys, { functionId: triage.id, environmentId: environment.id, targetModelRefId: target, reason: "both", evidenceShadowSnapshotId: frozen.snapshotId, evidenceRunId: frozen.snapshotId }),
    ).rejects.toThrow(/not both/);
    await stopShadow(sys, { shadowId: shadow.id });
  }, 90_000);

  it("refuses to freeze a window without mirrored requests", async () => {
    const environment = await gatedEnvironment({ minAgreementPct: 1 });
    const shadow = await startShadow(sys, { functionId: triage.id, environmentId: environment.id, candidateModelRefId: await modelRef(triage.id, CANDIDATE), sharePct: 5 });
    await expect(freezeShadowEvidence(sys, { shadowId: shadow.id })).rejects.toThrow(/nothing to freeze/);
    await stopShadow(sys, { shadowId: shadow.id });
  });
});
