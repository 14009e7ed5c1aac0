/**
 * Shadow evaluation end to end (issue 18): the real PostgreSQL, the emulator as Nyckel, the
 * invoke proxy on both paths (the route handler and the Node fast path). What a caller and
 * an editor see: the caller's answer never changes, the share holds, drops are counted and
 * never refuse serving, the end time stops mirroring, inputs stay out of the database unless
 * kept, the aggregates add up to the recorded rows, and every change is audited.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { userContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { syncFunctions } from "@/lib/functions/service";
import type { Release } from "@/lib/nyckel/budget/budget";
import { getNyckelBudget } from "@/lib/nyckel/budget/service";
import { wrapServer } from "@/lib/serving/node-invoke";
import { shadowTestWorld } from "@/scripts/testing/shadow-world";
import { releaseServing } from "@/scripts/testing/teardown";
import { bearer, getPins, invoke, modelRef, newEnvironment, newToken, pinTo, sleep, sys, until } from "@/scripts/testing/serving";
import { refreshShadowCache } from "./cache";
import { flushShadowRecorder } from "./recorder";
import { shadowReport } from "./queries";
import { changeShadow, startShadow, stopShadow } from "./service";

// 1,000 requests in a few seconds: the budget's rate is not what this file tests (drops are, by holding permits).
const { triage, served: SERVED, candidate: CANDIDATE, emulator } = shadowTestWorld({ NYCKEL_MAX_CONCURRENCY: "200" });

let server: http.Server;
let base: string;

const TEXTS = ["refund please", "my order is late", "cannot log in", "love the product", "cancel my plan", "where is my invoice", "app crashes", "thanks!"];

async function environmentWithShadow(settings: { sharePct: number; maxPerSecond?: number; keepInputs?: boolean; endsAt?: Date }) {
  const environment = await newEnvironment();
  await pinTo(environment.id, triage.id, SERVED);
  const token = await newToken(environment.id);
  await until(async () => (await getPins("any", bearer(token.token))).status !== 401, 3000);
  const shadow = await startShadow(sys, {
    functionId: triage.id,
    environmentId: environment.id,
    candidateModelRefId: await modelRef(triage.id, CANDIDATE),
    maxPerSecond: settings.maxPerSecond ?? 1000,
    ...settings,
  });
  await refreshShadowCache();
  return { environment, token: token.token, shadow };
}

/** As an HTTP client sends it: with its Content-Length (a body without one is not mirrored: docs/shadow.md). */
function call(token: string, text: string, query = "") {
  const body = JSON.stringify({ data: text });
  return { headers: { ...bearer(token), "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body, query };
}

/** Candidate invokes the emulator received (capture=false and the candidate's model id). */
const candidateInvokes = () => emulator().state.recentInvokes().filter((e) => e.modelIdParam === CANDIDATE);

/** Until every sampled request of the shadow is recorded or counted as dropped. */
async function settle(shadowId: string) {
  await until(async () => {
    await flushShadowRecorder();
    const h = await hours(shadowId);
    return h.mirrored + h.budget + h.cap + h.tooLarge === h.sampled;
  }, 20_000, 50);
}

/**
 * The budget gives the shadow class a share once it has seen shadow demand (refused mirrors
 * count), after its rise delay (~1.3 s, docs/budget.md), as in a deployment where a shadow
 * runs: a few requests, then that delay, before what a test measures.
 */
async function prime(token: string) {
  for (let i = 0; i < 3; i++) await invoke(triage.id, call(token, `prime ${i}`));
  await sleep(1_600);
  emulator().state.resetCounters();
}

async function hours(shadowId: string) {
  const rows = await prisma.shadowHour.findMany({ where: { shadowId } });
  const sum = (f: (h: (typeof rows)[number]) => number) => rows.reduce((a, h) => a + f(h), 0);
  return {
    seen: sum((h) => h.seen),
    sampled: sum((h) => h.sampled),
    mirrored: sum((h) => h.mirrored),
    budget: sum((h) => h.droppedBudget),
    tooLarge: sum((h) => h.droppedTooLarge),
    cap: sum((h) => h.droppedCap),
    answered: sum((h) => h.answered),
    agree: sum((h) => h.agree),
  };
}

beforeAll(async () => {
  await syncFunctions(sys);
  server = http.createServer((_req, res) => {
    res.writeHead(299);
    res.end("next");
  });
  wrapServer(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const warm = await newEnvironment();
  await pinTo(warm.id, triage.id, SERVED);
  const token = await newToken(warm.id);
  await until(async () => (await getPins("any", bearer(token.token))).status !== 401, 3000);
  expect((await invoke(triage.id, call(token.token, "warm up"))).status).toBe(200);
  await sleep(1_500);
}, 30_000);

beforeEach(() => {
  emulator().state.resetCounters();
  emulator().state.clearFaults();
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await releaseServing({ shadow: true, usage: true, budget: true });
});

describe("shadow evaluation", () => {
  it("start, change and stop are audited and announced; bad settings get clear messages", async () => {
    const { environment, shadow } = await environmentWithShadow({ sharePct: 10 });
    expect(shadow).toMatchObject({ state: "active", sharePct: 10, keepInputs: false, candidate: { modelId: CANDIDATE } });
    // Default end: 7 days.
    expect(Math.abs(new Date(shadow.endsAt).getTime() - Date.now() - 7 * 86_400_000)).toBeLessThan(60_000);
    const ref = await modelRef(triage.id, CANDIDATE);
    await expect(startShadow(sys, { functionId: triage.id, environmentId: environment.id, candidateModelRefId: ref, sharePct: 5 })).rejects.toThrow(/already running/);
    await expect(changeShadow(sys, { shadowId: shadow.id, sharePct: 0 })).rejects.toThrow(/whole percentage from 1 to 100/);
    await expect(changeShadow(sys, { shadowId: shadow.id, endsAt: new Date(Date.now() - 1000) })).rejects.toThrow(/must be in the future/);
    const viewer = userContext({ id: "00000000-0000-4000-8000-000000000001", role: "viewer", email: "v@example.com" }, "r1");
    await expect(stopShadow(viewer, { shadowId: shadow.id })).rejects.toThrow();
    await changeShadow(sys, { shadowId: shadow.id, sharePct: 25, reason: "more traffic" });
    const stopped = await stopShadow(sys, { shadowId: shadow.id, reason: "done" });
    expect(stopped.state).toBe("stopped");
    await expect(stopShadow(sys, { shadowId: shadow.id })).rejects.toThrow(/stopped/);

    const audit = await prisma.auditEvent.findMany({ where: { targetId: shadow.id }, orderBy: { id: "asc" }, select: { action: true, before: true, after: true, reason: true } });
    expect(audit.map((a) => a.action)).toEqual(["shadow.started", "shadow.changed", "shadow.stopped"]);
    expect(audit[1]).toMatchObject({ before: { sharePct: 10 }, after: { sharePct: 25 }, reason: "more traffic" });
    const hooks = await prisma.webhookEvent.findMany({ where: { environmentId: environment.id, type: { startsWith: "shadow." } }, orderBy: { createdAt: "asc" }, select: { type: true, payload: true } });
    expect(hooks.map((h) => h.type)).toEqual(["shadow.started", "shadow.changed", "shadow.stopped"]);
    expect(hooks[0]!.payload).toMatchObject({ shadowId: shadow.id, candidate: CANDIDATE, sharePct: 10 });
  });

  it("mirrors its share (±5%) of 1,000 requests to the candidate with capture=false, and the aggregates equal the recorded rows", async () => {
    const { token, shadow } = await environmentWithShadow({ sharePct: 30 });
    // 100 requests per second, in batches of 10 every 100 ms: a steady rate, as live traffic.
    const run = async (from: number, n: number) => {
      const t0 = performance.now();
      for (let i = from; i < from + n; i += 10) {
        const batch = Array.from({ length: 10 }, (_, j) => invoke(triage.id, call(token, `${TEXTS[(i + j) % TEXTS.length]} #${i + j}`)));
        expect((await Promise.all(batch)).map((r) => r.status).every((s) => s === 200)).toBe(true);
        await sleep(t0 + (i - from + 10) * 10 - performance.now());
      }
    };
    // As in a running deployment: the budget's shadow share follows the shadow's demand, after its rise delay (docs/budget.md).
    await run(0, 300);
    await settle(shadow.id);
    const primed = await hours(shadow.id);
    emulator().state.resetCounters();
    await run(300, 1000);
    await settle(shadow.id);
    const h = await hours(shadow.id);
    const seen = h.seen - primed.seen;
    const sampled = h.sampled - primed.sampled;
    const mirrored = h.mirrored - primed.mirrored;
    expect(seen).toBe(1000);
    expect(sampled / seen).toBeGreaterThanOrEqual(0.25);
    expect(sampled / seen).toBeLessThanOrEqual(0.35);
    expect(mirrored / seen).toBeGreaterThanOrEqual(0.25);
    expect(mirrored / seen).toBeLessThanOrEqual(0.35);
    expect(h.cap + h.tooLarge).toBe(0);
    expect(mirrored + h.budget - primed.budget).toBe(sampled);
    // The emulator's log keeps the latest invokes only: those of the candidate all asked capture=false.
    const sent = candidateInvokes();
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.every((e) => e.query.capture === "false")).toBe(true);

    // Aggregates = rows.
    const rows = await prisma.shadowRecord.findMany({ where: { shadowId: shadow.id } });
    expect(rows).toHaveLength(h.mirrored);
    const answered = rows.filter((r) => r.servedLabel !== null && r.candidateLabel !== null);
    expect(h.answered).toBe(answered.length);
    expect(h.agree).toBe(answered.filter((r) => r.servedLabel === r.candidateLabel).length);
    const pairs = await prisma.shadowHourPair.findMany({ where: { shadowId: shadow.id } });
    expect(pairs.reduce((a, p) => a + p.count, 0)).toBe(rows.length);
    // Per hour: a run that crosses an hour boundary has two rows of a pair (CI ran it at 16:00 once).
    const byPair = new Map<string, number>();
    for (const p of pairs) byPair.set(`${p.servedLabel}→${p.candidateLabel}`, (byPair.get(`${p.servedLabel}→${p.candidateLabel}`) ?? 0) + p.count);
    for (const [key, count] of byPair) {
      expect(count, key).toBe(rows.filter((r) => `${r.servedLabel ?? ""}→${r.candidateLabel ?? ""}` === key).length);
    }
    const latencies = await prisma.shadowLatency.findMany({ where: { shadowId: shadow.id } });
    expect(latencies.filter((l) => l.side === "served").reduce((a, l) => a + l.count, 0)).toBe(rows.length);
    expect(latencies.filter((l) => l.side === "candidate").reduce((a, l) => a + l.count, 0)).toBe(rows.filter((r) => r.candidateLatencyMs !== null).length);
    // Only the input's hash: the same bytes the caller sent.
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.inputSha256))).toBe(true);

    const report = (await shadowReport(shadow.id))!;
    expect(report.traffic).toMatchObject({ seen: h.seen, sampled: h.sampled, mirrored: h.mirrored });
    expect(report.agreement).toMatchObject({ n: h.answered, agree: h.agree });
    expect(report.agreement.ci.low).toBeLessThanOrEqual(report.agreement.rate);
    expect(report.matrix.total).toBe(h.answered);
    expect(report.latency.served.n).toBe(rows.length);
    expect(report.latency.candidate.p50).toBeGreaterThan(0);
    expect(report.series.length).toBeGreaterThanOrEqual(1);
    expect(report.series.length).toBeLessThanOrEqual(2); // one hour, or two when the run crossed an hour boundary
    expect(report.reservoir).toEqual([]);
    await stopShadow(sys, { shadowId: shadow.id });
  }, 120_000);

  it("answers the caller byte for byte as without a shadow, on the Node fast path and the route, and mirrors on both", async () => {
    const { token, shadow } = await environmentWithShadow({ sharePct: 100 });
    await prime(token);
    await settle(shadow.id);
    const before = await prisma.shadowRecord.count({ where: { shadowId: shadow.id } });
    const viaNode = (text: string) => fetch(`${base}/v1/functions/${triage.id}/invoke?labelCount=2`, { method: "POST", ...call(token, text) });
    const snapshot = async (res: Response) => ({ status: res.status, headers: [...res.headers].filter(([k]) => k !== "date"), body: Buffer.from(await res.arrayBuffer()).toString("base64") });
    const withShadow = [await snapshot(await viaNode("cannot log in")), await snapshot(await invoke(triage.id, call(token, "cannot log in", "?labelCount=2")))];
    await settle(shadow.id);
    await stopShadow(sys, { shadowId: shadow.id });
    await refreshShadowCache();
    const without = [await snapshot(await viaNode("cannot log in")), await snapshot(await invoke(triage.id, call(token, "cannot log in", "?labelCount=2")))];
    expect(withShadow).toEqual(without);
    expect(withShadow[0]!.status).toBe(200);
    const rows = await prisma.shadowRecord.findMany({ where: { shadowId: shadow.id }, orderBy: { id: "asc" }, skip: before });
    expect(rows).toHaveLength(2);
    const sha = createHash("sha256").update(JSON.stringify({ data: "cannot log in" })).digest("hex");
    expect(rows.every((r) => r.inputSha256 === sha && r.servedModelId === SERVED)).toBe(true);
    // The caller's other parameters go to the candidate too.
    expect(candidateInvokes().filter((e) => e.query.labelCount === "2" && e.query.capture === "false")).toHaveLength(2);
  }, 60_000);

  it("drops mirrors when the budget has no permit free, and serving is never refused", async () => {
    const { token, shadow } = await environmentWithShadow({ sharePct: 100 });
    await prime(token);
    await settle(shadow.id);
    const primed = await hours(shadow.id);
    const budget = getNyckelBudget();
    // Batch work holds every permit the non-serving classes may use (serving keeps its reserve).
    const held: Release[] = [];
    for (let r = budget.acquireNow("batch"); r; r = budget.acquireNow("batch")) held.push(r);
    try {
      expect(budget.acquireNow("shadow")).toBeNull();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await invoke(triage.id, call(token, `busy ${i}`))).status);
      expect(statuses).toEqual(Array(10).fill(200));
      await settle(shadow.id);
    } finally {
      for (const release of held) release();
    }
    const h = await hours(shadow.id);
    expect(h.budget - primed.budget).toBe(10);
    expect(h.mirrored - primed.mirrored).toBe(0);
    expect(candidateInvokes()).toHaveLength(0);
    await stopShadow(sys, { shadowId: shadow.id });
  }, 60_000);

  it("stops mirroring at its end time", async () => {
    const { token, shadow } = await environmentWithShadow({ sharePct: 100, endsAt: new Date(Date.now() + 4000) });
    await prime(token);
    expect((await invoke(triage.id, call(token, "before the end"))).status).toBe(200);
    await settle(shadow.id);
    const before = await hours(shadow.id);
    expect(before.seen).toBe(4);
    expect(candidateInvokes()).toHaveLength(1);
    await sleep(Math.max(0, new Date(shadow.endsAt).getTime() - Date.now() + 50));
    for (let i = 0; i < 5; i++) expect((await invoke(triage.id, call(token, `after the end ${i}`))).status).toBe(200);
    await sleep(100);
    await flushShadowRecorder();
    expect(await hours(shadow.id)).toEqual(before);
    expect(candidateInvokes()).toHaveLength(1);
  }, 60_000);

  it("stores inputs only when kept: a bounded reservoir of disagreeing inputs", async () => {
    const plain = await environmentWithShadow({ sharePct: 100 });
    const kept = await environmentWithShadow({ sharePct: 100, keepInputs: true });
    await prime(plain.token);
    const texts = Array.from({ length: 60 }, (_, i) => `${TEXTS[i % TEXTS.length]} variant ${i}`);
    for (const t of texts) {
      expect((await invoke(triage.id, call(plain.token, t))).status).toBe(200);
      expect((await invoke(triage.id, call(kept.token, t))).status).toBe(200);
    }
    await settle(plain.shadow.id);
    await settle(kept.shadow.id);
    const k = await hours(kept.shadow.id);
    expect(k.mirrored).toBeGreaterThan(50);
    const disagreeing = k.answered - k.agree;
    expect(disagreeing).toBeGreaterThan(0);
    expect(await prisma.shadowReservoirInput.count({ where: { shadowId: plain.shadow.id } })).toBe(0);
    const reservoir = await prisma.shadowReservoirInput.findMany({ where: { shadowId: kept.shadow.id } });
    expect(reservoir).toHaveLength(disagreeing);
    for (const r of reservoir) {
      expect(r.servedLabel).not.toBe(r.candidateLabel);
      expect(texts.map((t) => JSON.stringify({ data: t }))).toContain(Buffer.from(r.body).toString("utf8"));
    }
    expect((await shadowReport(kept.shadow.id))!.reservoir[0]!.text).toMatch(/"data"/);
    // Turning keep-inputs off deletes what was kept.
    await changeShadow(sys, { shadowId: kept.shadow.id, keepInputs: false });
    expect(await prisma.shadowReservoirInput.count({ where: { shadowId: kept.shadow.id } })).toBe(0);
    await stopShadow(sys, { shadowId: plain.shadow.id });
    await stopShadow(sys, { shadowId: kept.shadow.id });
  }, 60_000);
});
