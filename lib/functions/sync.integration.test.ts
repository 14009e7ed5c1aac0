import { describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { UpstreamError } from "@/lib/errors";
import { SEEDED_FUNCTIONS } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { testNyckelConnection } from "@/lib/nyckel-settings/service";
import { syncFunctions } from "./service";

const emulator = emulatorAsNyckelForFile();
const sys = systemContext("test");

describe("Nyckel settings and function sync (real PostgreSQL + emulator)", () => {
  it("stores the client secret encrypted, never in clear", async () => {
    const row = await prisma.nyckelSettings.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.secretCiphertext).not.toContain("modelpin-emulator-secret");
    expect(row.secretCiphertext.startsWith("v1.")).toBe(true);
    const events = await prisma.auditEvent.findMany({ where: { action: "nyckel.credentials_changed" } });
    expect(JSON.stringify(events, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain("modelpin-emulator-secret");
  });

  it("tests a connection: the saved secret works, a wrong one is a clear error", async () => {
    await expect(testNyckelConnection(sys, { baseUrl: emulator().url, clientId: "modelpin-emulator", clientSecret: "" })).resolves.toMatchObject({
      ok: true,
      functionCount: SEEDED_FUNCTIONS.length,
    });
    const err = await testNyckelConnection(sys, { baseUrl: emulator().url, clientId: "modelpin-emulator", clientSecret: "wrong-secret" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toContain("rejected the client id or secret");
    expect((err as Error).message).not.toContain("wrong-secret");
  });

  it("syncs functions and labels, registers discovered models, and is idempotent", async () => {
    // Other test files may have stored some of these functions already (without labels or models).
    const stored = new Set((await prisma.nyckelFunction.findMany({ select: { id: true } })).map((f) => f.id));
    const known = new Set((await prisma.model.findMany({ select: { functionId: true, modelId: true } })).map((m) => `${m.functionId}:${m.modelId}`));
    const first = await syncFunctions(sys);
    expect(first.added.sort()).toEqual(SEEDED_FUNCTIONS.filter((f) => !stored.has(f.id)).map((f) => f.name).sort());
    const newlySeen = SEEDED_FUNCTIONS.filter((f) => !known.has(`${f.id}:${f.modelIds.at(-1)}`));
    expect(first.discoveredModels.map((d) => d.functionId).sort()).toEqual(newlySeen.map((f) => f.id).sort());
    for (const f of SEEDED_FUNCTIONS) {
      const row = await prisma.nyckelFunction.findUniqueOrThrow({ where: { id: f.id }, include: { labels: true, models: true } });
      expect(row.labels.map((l) => l.name).sort()).toEqual(f.labels.map((l) => l.name).sort());
      expect(row.currentModelId).toBe(f.modelIds.at(-1));
      expect(row.models).toContainEqual(expect.objectContaining({ modelId: f.modelIds.at(-1) }));
    }
    const eventsBefore = await prisma.auditEvent.count();
    const second = await syncFunctions(sys);
    expect(second).toMatchObject({ added: [], updated: [], removed: [], discoveredModels: [], unchanged: SEEDED_FUNCTIONS.length });
    expect(await prisma.auditEvent.count()).toBe(eventsBefore);
  });

  it("picks up a retrained model as a new discovered model (latest moved)", async () => {
    const fn = SEEDED_FUNCTIONS[0]!;
    const res = await fetch(`${emulator().url}/_emulator/functions/${fn.id}/models`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(201);
    const { id: modelId } = (await res.json()) as { id: string };
    const report = await syncFunctions(sys);
    expect(report.updated).toEqual([fn.name]);
    expect(report.discoveredModels).toEqual([{ functionId: fn.id, modelId }]);
    const event = await prisma.auditEvent.findFirst({ where: { action: "model.discovered", functionId: fn.id }, orderBy: { id: "desc" } });
    expect(event?.after).toMatchObject({ modelId });
  });
});
