import { describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { syncFunctions } from "@/lib/functions/service";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { seed } from "@/prisma/seed";
import { buildDemo, demoEnabled, DEMO_TICKET_SET } from "./build";

emulatorAsNyckelForFile({ rateLimit: false });

describe("the living demo of the first start (real PostgreSQL + emulator)", () => {
  it("is on only with the emulator, outside production, unless MODELPIN_DEMO=false", () => {
    expect(demoEnabled({ NODE_ENV: "development" }, true)).toBe(true);
    expect(demoEnabled({ NODE_ENV: "development", MODELPIN_DEMO: "false" }, true)).toBe(false);
    expect(demoEnabled({ NODE_ENV: "development" }, false)).toBe(false);
    expect(demoEnabled({ NODE_ENV: "production" }, true)).toBe(false);
  });

  it("builds the demo through the services once: models, sets, two reports, Production pinned by a review, a request waiting", async () => {
    await seed();
    await syncFunctions(systemContext("test"));
    const lines: string[] = [];
    expect(await buildDemo((l) => lines.push(l))).toBe(true);

    const triage = seededFunction("support-triage");
    const [april, september] = [triage.modelIds[1]!, triage.modelIds.at(-1)!];
    // Other test files share the database and may have registered models of their own.
    const models = await prisma.model.findMany({ where: { functionId: triage.id, modelId: { in: triage.modelIds } }, select: { modelId: true, nickname: true } });
    expect(models.map((m) => m.modelId).sort()).toEqual([...triage.modelIds].sort());
    expect(models.every((m) => m.nickname.length > 0)).toBe(true);

    const set = await prisma.sampleSet.findFirstOrThrow({ where: { functionId: triage.id, name: DEMO_TICKET_SET } });
    expect(set.labeledCount).toBe(set.sampleCount);
    expect((await prisma.nyckelFunction.findUniqueOrThrow({ where: { id: triage.id } })).goldenSampleSetId).toBe(set.id);
    const runs = await prisma.comparisonRun.findMany({ where: { sampleSetId: set.id }, orderBy: { createdAt: "asc" } });
    expect(runs.map((r) => r.status)).toEqual(["finished", "finished"]);
    const disagreements = await prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM comparison_results a JOIN comparison_results b ON a.run_id = b.run_id AND a.sample_id = b.sample_id AND b.side = 'b'
      WHERE a.side = 'a' AND a.run_id = ${runs[1]!.id}::uuid AND a.label_name IS DISTINCT FROM b.label_name`;
    expect(Number(disagreements[0]!.n)).toBeGreaterThan(0);

    const pinOf = (slug: string) =>
      prisma.pin.findFirst({ where: { functionId: triage.id, environment: { slug } }, select: { model: { select: { modelId: true } } } });
    expect((await pinOf("production"))?.model?.modelId).toBe(april);
    expect((await pinOf("development"))?.model?.modelId).toBe(september);
    const requests = await prisma.promotionRequest.findMany({ where: { functionId: triage.id, environment: { slug: "production" } }, orderBy: { number: "asc" } });
    expect(requests.map((r) => [r.status, r.targetModelId])).toEqual([
      ["applied", april],
      ["pending", september],
    ]);
    expect(requests[1]!.evidenceRunId).toBe(runs[1]!.id);
    const actions = (await prisma.auditEvent.findMany({ where: { functionId: triage.id }, select: { action: true, actorLabel: true } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["model.registered", "sample_set.created", "function.golden_set_changed", "comparison.started", "request.opened", "request.approved", "request.applied", "pin.pinned"]));

    // Idempotent: a second start leaves the demo as it is.
    expect(await buildDemo((l) => lines.push(l))).toBe(false);
    expect(lines.at(-1)).toBe("demo: already in place");
    expect(await prisma.promotionRequest.count({ where: { functionId: triage.id, environment: { slug: "production" } } })).toBe(2);
  });
});
