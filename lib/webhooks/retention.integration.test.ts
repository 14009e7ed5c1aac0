import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { pruneWebhookHistory } from "./retention";

/**
 * The daily prune against the real PostgreSQL. Rows are back-dated far into
 * the past, and the prune runs with a retention that reaches only them, so
 * other files' rows in the shared test database are never touched.
 */

const DAY = 24 * 60 * 60 * 1000;
const now = new Date();
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY);

afterAll(async () => {
  await disconnectPrisma();
});

describe("webhook retention", () => {
  it("deletes old delivery rows and dispatched events without deliveries; keeps recent rows and undispatched events", async () => {
    const tag = randomBytes(4).toString("hex");
    // Inactive: no running dispatcher in another file may deliver to it.
    const hook = await prisma.webhook.create({
      data: { name: `retention ${tag}`, url: "https://hooks.example.com/x", secretCiphertext: "-", events: [], active: false, createdByLabel: "test" },
    });
    const event = (d: number, dispatched: boolean) =>
      prisma.webhookEvent.create({
        data: { type: `test.retention.${tag}`, payload: {}, createdAt: daysAgo(d), dispatchedAt: dispatched ? daysAgo(d) : null },
      });
    const delivery = (eventId: string | null, d: number) =>
      prisma.webhookDelivery.create({ data: { webhookId: hook.id, eventId, eventType: "x", attempt: 1, statusCode: 200, createdAt: daysAgo(d) } });

    const oldDone = await event(4000, true); // old, delivered long ago → both go
    const oldDoneDelivery = await delivery(oldDone.id, 4000);
    const oldTest = await delivery(null, 4000); // an old "send test" row → goes
    const oldRetried = await event(4000, true); // old event with a recent retry row → the event stays
    await delivery(oldRetried.id, 4000);
    const recentRetry = await delivery(oldRetried.id, 10);
    const oldPending = await event(4000, false); // never dispatched → stays
    const recent = await event(10, true); // recent → stays
    const recentDelivery = await delivery(recent.id, 10);

    try {
      const pruned = await pruneWebhookHistory(now, 3000);
      expect(pruned).toMatchObject({ deliveries: 3, events: 1 });
      const events = await prisma.webhookEvent.findMany({ where: { type: `test.retention.${tag}` }, select: { id: true } });
      expect(events.map((e) => e.id).sort()).toEqual([oldRetried.id, oldPending.id, recent.id].sort());
      const deliveries = await prisma.webhookDelivery.findMany({ where: { webhookId: hook.id }, select: { id: true } });
      expect(deliveries.map((d) => d.id).sort()).toEqual([recentRetry.id, recentDelivery.id].sort());
      expect(await prisma.webhookDelivery.count({ where: { id: { in: [oldDoneDelivery.id, oldTest.id] } } })).toBe(0);

      // Nothing left to prune: a second run deletes nothing.
      expect(await pruneWebhookHistory(now, 3000)).toMatchObject({ deliveries: 0, events: 0 });
    } finally {
      await prisma.webhookDelivery.deleteMany({ where: { webhookId: hook.id } });
      await prisma.webhookEvent.deleteMany({ where: { type: `test.retention.${tag}` } });
      await prisma.webhook.delete({ where: { id: hook.id } });
    }
  });
});
