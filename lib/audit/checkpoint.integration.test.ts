import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { createWebhook, deleteWebhook } from "@/lib/webhooks/service";
import { startWebhookWorker, type WebhookWorker } from "@/lib/webhooks/worker";
import { AUDIT_CHECKPOINT_CRON, runDueCheckpoint, startAuditCheckpointWorker } from "./checkpoint";
import { headSignatureOk, readHead } from "./head";
import { outsideCheckpointSchema } from "./schemas";
import { verifyAuditLog } from "./verify";
import { startWebhookReceiver, stopWebhookTests, type ReceivedRequest, type WebhookReceiver } from "@/scripts/testing/webhook-receiver";

/**
 * `audit.checkpoint` through the real webhook path: outbox row written with
 * the checkpoint → dispatcher → pg-boss delivery job → a local receiver.
 */

const admin: ServiceContext = { actor: { id: null, role: "admin", label: "checkpoint test" }, requestId: "test-checkpoint" };
const received: ReceivedRequest[] = [];
let receiver: WebhookReceiver;
let base: string;
let worker: WebhookWorker;

beforeAll(async () => {
  receiver = await startWebhookReceiver(received);
  base = receiver.base;
  worker = await startWebhookWorker({ retry: { maxAttempts: 2, retryDelaySeconds: 1 } });
});

afterAll(() => stopWebhookTests(worker, receiver));

describe("audit checkpoints as webhook events", () => {
  it("a due checkpoint is recorded and delivered, signed, to a webhook subscribed to audit.checkpoint; its body verifies the log from outside", async () => {
    const { webhook, secret } = await createWebhook(admin, {
      name: `Audit anchor ${randomBytes(3).toString("hex")}`,
      url: `${base}/anchor`,
      events: ["audit.checkpoint"],
      format: "json",
      active: true,
    });
    const cp = await runDueCheckpoint(new Date(Date.now() + 365 * 24 * 3600_000), 3600);
    expect(cp).not.toBeNull();
    const row = await prisma.auditCheckpoint.findUniqueOrThrow({ where: { id: BigInt(cp!.checkpointId) } });
    expect(row).toMatchObject({ kind: "scheduled", eventCount: BigInt(cp!.count), lastHash: cp!.lastHash, hmac: cp!.hmac });
    expect(row.webhookEventId).not.toBeNull();

    const deadline = Date.now() + 30_000;
    let delivery = null;
    while (!delivery && Date.now() < deadline) {
      delivery = await prisma.webhookDelivery.findFirst({ where: { webhookId: webhook.id, eventId: row.webhookEventId, statusCode: 200 } });
      if (!delivery) await new Promise((r) => setTimeout(r, 100));
    }
    expect(delivery).toMatchObject({ eventType: "audit.checkpoint", attempt: 1 });
    const got = received.find((r) => r.headers["x-modelpin-delivery"] === row.webhookEventId)!;
    expect(got.headers["x-modelpin-event"]).toBe("audit.checkpoint");
    const expected = "v1=" + createHmac("sha256", secret).update(`${String(got.headers["x-modelpin-timestamp"])}.${got.body}`).digest("hex");
    expect(got.headers["x-modelpin-signature"]).toBe(expected);
    const envelope = JSON.parse(got.body) as { type: string; data: Record<string, unknown> };
    expect(envelope).toMatchObject({ type: "audit.checkpoint", data: { kind: "scheduled", count: cp!.count, lastEventId: cp!.lastEventId, lastHash: cp!.lastHash, hmac: cp!.hmac, at: cp!.at } });

    // What the receiver holds is enough to check the database later.
    const outside = outsideCheckpointSchema.parse(envelope);
    expect(headSignatureOk(outside, outside.hmac)).toBe(true);
    expect(await verifyAuditLog({ outside })).toMatchObject({ ok: true, outside: { count: cp!.count } });
    const h = (await readHead(prisma))!;
    expect(h.count).toBeGreaterThanOrEqual(BigInt(cp!.count));
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("the checkpoint worker is scheduled every minute on its own pg-boss queue", async () => {
    await startAuditCheckpointWorker();
    const boss = await getBoss();
    expect((await boss.getSchedules()).filter((s) => s.name === QUEUES.auditCheckpoint).map((s) => s.cron)).toEqual([AUDIT_CHECKPOINT_CRON]);
    await boss.unschedule(QUEUES.auditCheckpoint);
  });
});
