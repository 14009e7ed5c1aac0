/**
 * Contract tests: the same expectations of the client, run against the emulator
 * always, and against the real Nyckel when NYCKEL_CLIENT_ID, NYCKEL_CLIENT_SECRET and
 * NYCKEL_TEST_FUNCTION_ID are set (NYCKEL_BASE_URL optional, default
 * https://www.nyckel.com). Without them the real-Nyckel block reports as skipped.
 * Invokes use capture=false so the real function gets no new samples.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NyckelClient, type InvokeInput, type NyckelFunction } from "./client";
import { stripPrefix } from "./ids";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { nyckelFailure, tinyPng } from "@/scripts/testing/nyckel";

interface Target {
  client: () => NyckelClient;
  withSecret: (secret: string) => NyckelClient;
  functionId: string;
}


function inputFor(fn: NyckelFunction): InvokeInput | null {
  if (fn.input === "Text") return { kind: "text", text: "My invoice shows the wrong amount" };
  if (fn.input === "Image") return { kind: "image", bytes: tinyPng(64, 64, [180, 120, 60]), mimeType: "image/png" };
  return null; // tabular: field names are function-specific
}

function contract(get: () => Target): void {
  let target: Target;
  let fn: NyckelFunction;
  let labelNames: string[];
  let labelIds: string[];

  beforeAll(async () => {
    target = get();
    fn = await target.client().getFunction(target.functionId);
    const labels = await target.client().listLabels(target.functionId);
    labelNames = labels.map((l) => l.name);
    labelIds = labels.map((l) => l.id);
  });

  it("tests the connection", async () => {
    const result = await target.client().testConnection();
    expect(result.ok).toBe(true);
    expect(result.functionCount).toBeGreaterThanOrEqual(1);
  });

  it("lists functions including the test function", async () => {
    const functions = await target.client().listFunctions();
    const found = functions.find((f) => stripPrefix(f.id) === stripPrefix(target.functionId));
    expect(found).toBeDefined();
    expect(found?.id).toMatch(/^function_/);
  });

  it("gets the function by prefixed and bare id", async () => {
    const bare = await target.client().getFunction(stripPrefix(target.functionId));
    const prefixed = await target.client().getFunction(`function_${stripPrefix(target.functionId)}`);
    expect(bare.id).toBe(prefixed.id);
    expect(["Text", "Image", "Tabular"]).toContain(bare.input);
    expect(typeof bare.output).toBe("string");
  });

  it("lists labels with ids and distinct names", () => {
    expect(labelNames.length).toBeGreaterThanOrEqual(1);
    expect(new Set(labelNames).size).toBe(labelNames.length);
    expect(labelIds.every((id) => /^label_/.test(id))).toBe(true);
  });

  it("reads the summary and the current model id without failing", async () => {
    const summary = await target.client().getSummary(target.functionId);
    expect(typeof summary.raw).toBe("object");
    const modelId = await target.client().getCurrentModelId(target.functionId);
    expect(modelId === null || (typeof modelId === "string" && modelId.length > 0)).toBe(true);
  });

  it("invokes and gets one of the function's labels with a confidence", async () => {
    const input = inputFor(fn);
    if (!input) return;
    const result = await target.client().invoke(target.functionId, input, { capture: false, labelCount: 2 });
    expect(labelNames.includes(result.output.labelName ?? "") || labelIds.includes(result.output.labelId ?? "")).toBe(true);
    expect(result.output.confidence).toBeGreaterThanOrEqual(0);
    expect(result.output.confidence).toBeLessThanOrEqual(1);
    const ranked = result.output.labelConfidences;
    if (ranked) {
      expect(ranked.length).toBeLessThanOrEqual(2);
      expect(ranked.map((r) => r.confidence)).toEqual([...ranked.map((r) => r.confidence)].sort((a, b) => b - a));
    }
    expect(result.latencyMs).toBeGreaterThan(0);
  });

  it("invokes a pinned model: the current model id answers like latest", async () => {
    const input = inputFor(fn);
    const current = await target.client().getCurrentModelId(target.functionId);
    if (!input || current === null) return;
    const latest = await target.client().invoke(target.functionId, input, { capture: false });
    const pinned = await target.client().invoke(target.functionId, input, { capture: false, modelId: current });
    expect(pinned.output.labelName).toBe(latest.output.labelName);
  });

  it("refuses an unknown model id with a 4xx", async () => {
    const input = inputFor(fn);
    if (!input) return;
    const error = await nyckelFailure(
      target.client().invoke(target.functionId, input, { capture: false, modelId: "model_doesnotexist000" }),
    );
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
  });

  it("reports a wrong secret as unauthorized", async () => {
    const error = await nyckelFailure(target.withSecret("definitely-not-the-secret").testConnection());
    expect(error.code).toBe("unauthorized");
  });

  it("reports an unknown function as not found (or forbidden)", async () => {
    const error = await nyckelFailure(target.client().getFunction("function_zzzzzzzzzzzzzzzz"));
    expect(["not_found", "forbidden"]).toContain(error.code);
  });
}

describe("contract: emulator", () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, quiet: true }); // Nyckel's limits, on
  });
  afterAll(async () => {
    await emu.close();
  });
  const targetFor = (functionId: string) => (): Target => {
    const client = new NyckelClient({ baseUrl: emu.url, clientId: emu.state.clientId, clientSecret: emu.state.clientSecret });
    return {
      client: () => client,
      withSecret: (secret) => new NyckelClient({ baseUrl: emu.url, clientId: emu.state.clientId, clientSecret: secret }),
      functionId,
    };
  };
  describe("text function", () => contract(targetFor(seededFunction("support-triage").id)));
  describe("image function", () => contract(targetFor(stripPrefix(seededFunction("pets").id))));
});

const real = {
  clientId: process.env.NYCKEL_CLIENT_ID,
  clientSecret: process.env.NYCKEL_CLIENT_SECRET,
  functionId: process.env.NYCKEL_TEST_FUNCTION_ID,
  baseUrl: process.env.NYCKEL_BASE_URL || "https://www.nyckel.com",
};

describe.skipIf(!real.clientId || !real.clientSecret || !real.functionId)("contract: real Nyckel", () => {
  contract(() => {
    const client = new NyckelClient({ baseUrl: real.baseUrl, clientId: real.clientId as string, clientSecret: real.clientSecret as string });
    return {
      client: () => client,
      withSecret: (secret) => new NyckelClient({ baseUrl: real.baseUrl, clientId: real.clientId as string, clientSecret: secret }),
      functionId: real.functionId as string,
    };
  });
});
