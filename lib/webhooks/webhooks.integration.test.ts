import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { resetConfigForTests } from "@/lib/env";
import { createEnvironment } from "@/lib/environments/service";
import { ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { createMember } from "@/lib/members/service";
import { registerModel } from "@/lib/models/service";
import { setPin } from "@/lib/pins/service";
import { postWebhook } from "./deliver";
import { dispatchPendingEvents } from "./dispatch";
import { emitWebhookEvent, type WebhookEventInput } from "./emit";
import { URL_MESSAGES } from "./schemas";
import { createWebhook, deleteWebhook, revealWebhookSecret, rotateWebhookSecret, sendTestWebhook, updateWebhook } from "./service";
import { startWebhookWorker, type WebhookWorker } from "./worker";
import { startWebhookReceiver, stopWebhookTests, type ReceivedRequest, type WebhookReceiver } from "@/scripts/testing/webhook-receiver";
import { OPEN_POLICY } from "@/scripts/testing/environments";

/**
 * Webhooks against the real PostgreSQL and the real pg-boss worker path:
 * outbox → dispatcher → delivery jobs with retries → a local HTTP receiver.
 * The worker runs with 3 attempts and a 2 s base delay.
 */

const sys = systemContext("test");
const tag = () => randomBytes(4).toString("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


let admin: ServiceContext;
let editor: ServiceContext;
let worker: WebhookWorker;
let receiver: WebhookReceiver;
let base: string;
const received: ReceivedRequest[] = [];
/** Status codes to answer, per path, in order; then 200. */
const script = new Map<string, number[]>();

function as(user: { id: string; role: "viewer" | "editor" | "approver" | "admin"; email: string }): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId: `test-${tag()}` };
}

const at = (path: string) => received.filter((r) => r.path === path);

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function emit(event: WebhookEventInput) {
  return prisma.$transaction((tx) => emitWebhookEvent(tx, event));
}

function deliveries(webhookId: string) {
  return prisma.webhookDelivery.findMany({ where: { webhookId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

/** The README's verification, written out here independently of sign.ts. */
function readmeSignatureOk(secret: string, r: ReceivedRequest): boolean {
  const ts = String(r.headers["x-modelpin-timestamp"]);
  const expected = "v1=" + createHmac("sha256", secret).update(`${ts}.${r.body}`).digest("hex");
  const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
  return fresh && r.headers["x-modelpin-signature"] === expected;
}

async function newHook(path: string, over: Partial<{ events: string[]; format: "json" | "slack"; active: boolean; name: string }> = {}) {
  return createWebhook(admin, {
    name: over.name ?? `Hook ${path}`,
    url: `${base}${path}`,
    events: (over.events ?? ["request.opened"]) as never,
    format: over.format ?? "json",
    active: over.active ?? true,
  });
}

beforeAll(async () => {
  receiver = await startWebhookReceiver(received, ({ path }, res) => {
    if (path === "/hang") return; // never answers
    if (path === "/big") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("é".repeat(3000)); // 6,000 bytes
      return;
    }
    if (path === "/redirect") {
      res.writeHead(302, { location: "https://elsewhere.example.com/hook" });
      res.end();
      return;
    }
    const code = script.get(path)?.shift() ?? 200;
    res.writeHead(code, { "content-type": "text/plain" });
    res.end(code === 200 ? "ok, thanks" : `failing on purpose (${code})`);
  });
  base = receiver.base;

  const t = tag();
  admin = as(await createMember(sys, { email: `hooks-admin-${t}@example.com`, name: "Hook Admin", role: "admin", password: "hooks-admin-pass" }));
  editor = as(await createMember(sys, { email: `hooks-editor-${t}@example.com`, name: "Hook Editor", role: "editor", password: "hooks-editor-pass" }));
  // Events other test files left in the outbox go to nobody (no webhook of ours exists yet).
  while ((await dispatchPendingEvents()).events > 0);
  // Base delay 2 s: retry 1 waits 2–4 s, retry 2 waits 4–8 s (pg-boss's jittered backoff), so the gaps
  // grow with a margin far above the scheduling noise of a busy machine.
  worker = await startWebhookWorker({ retry: { maxAttempts: 3, retryDelaySeconds: 2 } });
});

afterAll(() => stopWebhookTests(worker, receiver));

describe("webhook deliveries (real PostgreSQL, real pg-boss worker)", () => {
  it("a receiver answering 500, 500, 200 gets three attempts with growing gaps; every body's signature verifies with the README's scheme", async () => {
    script.set("/retry", [500, 500]);
    const { webhook, secret } = await newHook("/retry", { events: ["request.opened"] });
    const event = await emit({ type: "request.opened", functionId: "function_x", data: { function: { id: "function_x", name: "Fraud" }, reason: "retry test" } });

    const rows = await waitFor("three delivery rows", async () => {
      const r = await deliveries(webhook.id);
      return r.length >= 3 ? r : null;
    });
    await sleep(1500); // nothing more may come
    expect(await prisma.webhookDelivery.count({ where: { webhookId: webhook.id } })).toBe(3);
    expect(rows.map((r) => [r.attempt, r.statusCode, r.eventId, r.eventType])).toEqual([
      [1, 500, event.id, "request.opened"],
      [2, 500, event.id, "request.opened"],
      [3, 200, event.id, "request.opened"],
    ]);
    expect(rows.map((r) => r.error)).toEqual(["The receiver answered HTTP 500.", "The receiver answered HTTP 500.", null]);
    expect(rows.map((r) => r.responseBody)).toEqual(["failing on purpose (500)", "failing on purpose (500)", "ok, thanks"]);
    for (const r of rows) expect(r.durationMs).toBeGreaterThanOrEqual(0);

    const [t1, t2, t3] = rows.map((r) => r.createdAt.getTime()) as [number, number, number];
    const gap1 = t2 - t1;
    const gap2 = t3 - t2;
    console.log(`[webhooks] observed gaps between attempts: ${gap1} ms, ${gap2} ms (base delay 2 s)`);
    expect(gap1).toBeGreaterThanOrEqual(2000);
    expect(gap2).toBeGreaterThan(gap1);

    const got = at("/retry");
    expect(got).toHaveLength(3);
    for (const r of got) {
      expect(r.headers["x-modelpin-event"]).toBe("request.opened");
      expect(r.headers["x-modelpin-delivery"]).toBe(event.id);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(readmeSignatureOk(secret, r)).toBe(true);
      expect(readmeSignatureOk("whsec_wrong", r)).toBe(false);
      const envelope = JSON.parse(r.body) as Record<string, unknown>;
      expect(Object.keys(envelope).sort()).toEqual(["createdAt", "data", "id", "type"]);
      expect(envelope).toMatchObject({ id: event.id, type: "request.opened", data: { function: { id: "function_x", name: "Fraud" }, reason: "retry test" } });
    }
    // Retries resend the same bytes (only the timestamp and signature headers change).
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("after the last attempt the log shows it gave up, and pg-boss marks the job failed", async () => {
    script.set("/down", [503, 503, 503, 503]);
    const { webhook } = await newHook("/down", { events: ["request.expired"] });
    await emit({ type: "request.expired", data: { reason: "give-up test" } });
    const rows = await waitFor("three attempts", async () => {
      const r = await deliveries(webhook.id);
      return r.length >= 3 ? r : null;
    });
    const job = await waitFor("the job to fail", async () => {
      const [j] = await prisma.$queryRaw<{ state: string; retry_count: number }[]>`
        SELECT state::text, retry_count FROM pgboss.job WHERE name = 'webhook-delivery' AND data->>'webhookId' = ${webhook.id}`;
      return j?.state === "failed" ? j : null;
    });
    expect(job.retry_count).toBe(2);
    await sleep(1500);
    const final = await deliveries(webhook.id);
    expect(final.map((r) => [r.attempt, r.statusCode])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
    ]);
    expect(rows[0]!.error).toBe("The receiver answered HTTP 503.");
    expect(final[2]!.error).toBe("The receiver answered HTTP 503. Gave up after 3 attempts.");
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("only active webhooks subscribed to the event's type receive it", async () => {
    const a = await newHook("/subscribed", { events: ["request.approved", "request.applied"] });
    const b = await newHook("/other-type", { events: ["pin.changed"] });
    const c = await newHook("/inactive", { events: ["request.approved"], active: false });
    const event = await emit({ type: "request.approved", data: { actor: "ann@example.com" } });

    await waitFor("the subscribed webhook's delivery", () => at("/subscribed").length === 1);
    await waitFor("the event to be dispatched", async () => (await prisma.webhookEvent.findUnique({ where: { id: event.id } }))?.dispatchedAt);
    await sleep(1500);
    expect(at("/subscribed").map((r) => r.headers["x-modelpin-delivery"])).toEqual([event.id]);
    expect(at("/other-type")).toHaveLength(0);
    expect(at("/inactive")).toHaveLength(0);
    expect(await prisma.webhookDelivery.count({ where: { webhookId: { in: [b.webhook.id, c.webhook.id] } } })).toBe(0);
    expect((await deliveries(a.webhook.id)).map((r) => [r.attempt, r.statusCode])).toEqual([[1, 200]]);
    for (const h of [a, b, c]) await deleteWebhook(admin, { id: h.webhook.id });
  });

  it("concurrent dispatchers (as on several instances) fan each event out exactly once", async () => {
    const a = await newHook("/burst-a", { events: ["request.stale"] });
    const b = await newHook("/burst-b", { events: ["request.stale", "request.applied"] });
    const events = await Promise.all(Array.from({ length: 40 }, (_, i) => emit({ type: "request.stale", data: { n: i } })));
    // Four dispatchers race the worker's own loop.
    await Promise.all(Array.from({ length: 4 }, () => dispatchPendingEvents({ limit: 7 })));
    const ids = events.map((e) => e.id);
    await waitFor("every event to be dispatched", async () => (await prisma.webhookEvent.count({ where: { id: { in: ids }, dispatchedAt: null } })) === 0);
    const jobs = await prisma.$queryRaw<{ event_id: string; webhook_id: string; n: number }[]>`
      SELECT data->>'eventId' AS event_id, data->>'webhookId' AS webhook_id, count(*)::int AS n
        FROM pgboss.job WHERE name = 'webhook-delivery' AND data->>'eventId' = ANY(${ids}) GROUP BY 1, 2`;
    expect(jobs).toHaveLength(80);
    expect(jobs.every((j) => j.n === 1)).toBe(true);
    await waitFor("80 deliveries", () => at("/burst-a").length + at("/burst-b").length >= 80);
    const times = [...at("/burst-a"), ...at("/burst-b")].map((r) => r.at);
    console.log(`[webhooks] 80 deliveries (4 workers) arrived over ${Math.max(...times) - Math.min(...times)} ms`);
    await sleep(1000);
    for (const path of ["/burst-a", "/burst-b"]) {
      const got = at(path).map((r) => String(r.headers["x-modelpin-delivery"]));
      expect(got).toHaveLength(40);
      expect(new Set(got)).toEqual(new Set(ids));
    }
    for (const h of [a, b]) await deleteWebhook(admin, { id: h.webhook.id });
  });

  it("a Slack-format webhook gets { text } with a sentence, signed the same way", async () => {
    const { webhook, secret } = await newHook("/slack", { events: ["request.rejected"], format: "slack" });
    const emittedAt = Date.now();
    await emit({
      type: "request.rejected",
      data: { function: { name: "Churn risk" }, environment: { name: "Production" }, model: { modelId: "model_9", nickname: "Nine" }, actor: "rita@example.com", comment: "accuracy dropped" },
    });
    const [r] = await waitFor("the Slack delivery", () => (at("/slack").length ? at("/slack") : null));
    console.log(`[webhooks] commit → receiver latency: ${r!.at - emittedAt} ms (NOTIFY wake-up; the fallback poll is 1 s)`);
    const body = JSON.parse(r!.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toBe("Promotion of *Churn risk* in *Production* to Nine (model_9) rejected by rita@example.com. Reason: “accuracy dropped”");
    expect(r!.headers["x-modelpin-event"]).toBe("request.rejected");
    expect(readmeSignatureOk(secret, r!)).toBe(true);
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("a pin change through the pin service reaches a pin.changed webhook end to end", async () => {
    const t = tag();
    const env = await createEnvironment(sys, {
      ...OPEN_POLICY,
      slug: `hooks-${t}`,
      name: `Hooks ${t}`,
      sortOrder: 50,
    });
    const fnId = `function_hooks${t}`;
    await prisma.nyckelFunction.create({ data: { id: fnId, name: `Hooked ${t}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
    const model = await registerModel(admin, { functionId: fnId, modelId: `model_hooks${t}`, nickname: "Hooked model", notes: "" });
    const { webhook, secret } = await newHook("/pins", { events: ["pin.changed"] });

    await setPin(admin, { environmentId: env.id, functionId: fnId, modelRefId: model.id, expectedVersion: 0, reason: "ship it", kind: "pin" });

    const [r] = await waitFor("the pin.changed delivery", () => (at("/pins").length ? at("/pins") : null));
    const outbox = await prisma.webhookEvent.findFirstOrThrow({ where: { type: "pin.changed", functionId: fnId } });
    expect(r!.headers["x-modelpin-event"]).toBe("pin.changed");
    expect(r!.headers["x-modelpin-delivery"]).toBe(outbox.id);
    expect(readmeSignatureOk(secret, r!)).toBe(true);
    expect(JSON.parse(r!.body)).toMatchObject({
      id: outbox.id,
      type: "pin.changed",
      data: {
        function: { id: fnId },
        environment: { id: env.id },
        kind: "pin",
        after: { version: 1, modelId: model.modelId, nickname: "Hooked model" },
        reason: "ship it",
        actor: admin.actor.label,
      },
    });
    const rows = await waitFor("the delivery row", async () => {
      const d = await deliveries(webhook.id);
      return d.length ? d : null;
    });
    expect(rows.map((d) => [d.eventId, d.attempt, d.statusCode])).toEqual([[outbox.id, 1, 200]]);
    expect(outbox.dispatchedAt).not.toBeNull();
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("send test delivers webhook.test once, now, records it without an event id, and reports failures", async () => {
    const { webhook, secret } = await newHook("/test-ok", { active: false });
    const ok = await sendTestWebhook(admin, { id: webhook.id });
    expect(ok).toMatchObject({ ok: true, statusCode: 200, error: null });
    const [r] = at("/test-ok");
    expect(r!.headers["x-modelpin-event"]).toBe("webhook.test");
    expect(r!.headers["x-modelpin-delivery"]).toBe(ok.deliveryId);
    expect(readmeSignatureOk(secret, r!)).toBe(true);
    expect(JSON.parse(r!.body)).toMatchObject({ type: "webhook.test", data: { webhook: { id: webhook.id }, actor: admin.actor.label } });
    expect((await deliveries(webhook.id)).map((d) => [d.eventId, d.eventType, d.attempt, d.statusCode, d.responseBody])).toEqual([
      [null, "webhook.test", 1, 200, "ok, thanks"],
    ]);

    script.set("/test-fail", [502]);
    await updateWebhook(admin, { id: webhook.id, name: "Hook", url: `${base}/test-fail`, events: ["request.opened"], format: "json", active: false });
    const failed = await sendTestWebhook(admin, { id: webhook.id });
    expect(failed).toMatchObject({ ok: false, statusCode: 502, error: "The receiver answered HTTP 502." });

    // Nothing listens on the port of a closed server.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await updateWebhook(admin, { id: webhook.id, name: "Hook", url: `http://127.0.0.1:${deadPort}/x`, events: ["request.opened"], format: "json", active: false });
    const refused = await sendTestWebhook(admin, { id: webhook.id });
    expect(refused).toMatchObject({ ok: false, statusCode: null, error: "Connection refused." });
    expect(await prisma.webhookDelivery.count({ where: { webhookId: webhook.id, eventId: null } })).toBe(3);
    await deleteWebhook(admin, { id: webhook.id });
  });
});

describe("one attempt (postWebhook)", () => {
  it("keeps the first 200 bytes of a long answer, times out a silent receiver, and does not follow redirects", async () => {
    const big = await postWebhook(`${base}/big`, "{}", { "Content-Type": "application/json" });
    expect(big).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(big.responseBody).toBe(`${"é".repeat(100)}…`);

    const started = Date.now();
    const hung = await postWebhook(`${base}/hang`, "{}", {}, 300);
    expect(hung).toMatchObject({ ok: false, statusCode: null, error: "No answer within 0.3 s (timed out).", responseBody: null });
    expect(Date.now() - started).toBeLessThan(5_000);

    const redirected = await postWebhook(`${base}/redirect`, "{}", {});
    expect(redirected).toMatchObject({ ok: false, statusCode: 302, error: "Redirect (302) to https://elsewhere.example.com/hook not followed: use the final URL." });
  });
});

describe("webhook settings (real PostgreSQL)", () => {
  it("create, update, rotate and delete are audit events that never contain the secret", async () => {
    const { webhook, secret } = await createWebhook(admin, {
      name: "Audited",
      url: `${base}/audited/T000/B000/incoming-token-xyz`,
      events: ["pin.changed"],
      format: "slack",
      active: true,
    });
    expect(secret).toMatch(/^whsec_/);
    const stored = await prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    expect(stored.secretCiphertext).not.toContain(secret);
    expect(stored.secretCiphertext).not.toContain(secret.slice(6));
    expect((await revealWebhookSecret(admin, { id: webhook.id })).secret).toBe(secret);

    await updateWebhook(admin, { id: webhook.id, name: "Audited (renamed)", url: stored.url, events: ["pin.changed", "request.applied"], format: "json", active: false });
    const rotated = await rotateWebhookSecret(admin, { id: webhook.id });
    expect(rotated.secret).not.toBe(secret);
    expect((await revealWebhookSecret(admin, { id: webhook.id })).secret).toBe(rotated.secret);
    await deleteWebhook(admin, { id: webhook.id });
    expect(await prisma.webhook.findUnique({ where: { id: webhook.id } })).toBeNull();

    const events = await prisma.auditEvent.findMany({ where: { targetType: "webhook", targetId: webhook.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.action, e.actorId])).toEqual([
      ["webhook.created", admin.actor.id],
      ["webhook.secret_revealed", admin.actor.id],
      ["webhook.updated", admin.actor.id],
      ["webhook.updated", admin.actor.id],
      ["webhook.secret_revealed", admin.actor.id],
      ["webhook.deleted", admin.actor.id],
    ]);
    expect(events[0]!.after).toMatchObject({ name: "Audited", events: ["pin.changed"], format: "slack", active: true, secret: "generated" });
    expect(events[1]!.after).toEqual({ name: "Audited" });
    expect(events[2]!.before).toMatchObject({ name: "Audited", active: true });
    expect(events[2]!.after).toMatchObject({ name: "Audited (renamed)", events: ["request.applied", "pin.changed"], format: "json", active: false });
    expect(events[3]).toMatchObject({ reason: "Signing secret rotated", after: { secret: "rotated" } });
    expect(events[5]!.before).toMatchObject({ name: "Audited (renamed)" });
    const all = JSON.stringify(events.map((e) => [e.before, e.after, e.reason]));
    for (const leaked of [secret, rotated.secret, secret.slice(6), rotated.secret.slice(6), stored.secretCiphertext, "incoming-token-xyz"]) {
      expect(all).not.toContain(leaked);
    }
    expect(all).toContain(new URL(base).origin);
  });

  it("bad URLs and bad input get clear messages and change nothing", async () => {
    const { webhook } = await newHook("/keep", { events: ["pin.changed"] });
    const before = await prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    const counts = async () => [await prisma.webhook.count(), await prisma.auditEvent.count()];
    const start = await counts();

    const expectUrlError = async (promise: Promise<unknown>, message: string) => {
      const err = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).fieldErrors?.url).toEqual([message]);
    };
    const good = { name: "Bad", events: ["pin.changed" as const], format: "json" as const, active: true };
    await expectUrlError(createWebhook(admin, { ...good, url: "http://example.com/hook" }), URL_MESSAGES.insecureHost);
    await expectUrlError(createWebhook(admin, { ...good, url: "ftp://example.com/hook" }), URL_MESSAGES.scheme);
    await expectUrlError(createWebhook(admin, { ...good, url: "definitely not a url" }), URL_MESSAGES.garbage);
    await expectUrlError(createWebhook(admin, { ...good, url: "https://user:pw@example.com/hook" }), URL_MESSAGES.credentials);
    await expectUrlError(updateWebhook(admin, { ...good, id: webhook.id, url: "http://10.1.2.3/hook" }), URL_MESSAGES.insecureHost);
    const noEvents = await createWebhook(admin, { ...good, url: "https://example.com/hook", events: [] }).catch((e: unknown) => e);
    expect((noEvents as InvalidInputError).fieldErrors?.events).toEqual(["Choose at least one event."]);

    // Without MODELPIN_ALLOW_INSECURE_WEBHOOKS even a loopback http:// URL is refused.
    process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "false";
    resetConfigForTests();
    try {
      await expectUrlError(createWebhook(admin, { ...good, url: `${base}/hook` }), URL_MESSAGES.insecure);
      // …and an existing http:// webhook is not sent to any more (checked again at send time).
      expect(await sendTestWebhook(admin, { id: webhook.id })).toMatchObject({ ok: false, statusCode: null, error: `Not sent: ${URL_MESSAGES.insecure}` });
      expect(at("/keep")).toHaveLength(0);
    } finally {
      process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "true";
      resetConfigForTests();
    }

    expect(await counts()).toEqual(start);
    expect(await prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } })).toEqual(before);
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("only admins manage webhooks; an unknown id is 'not found'", async () => {
    const { webhook } = await newHook("/perm");
    const input = { name: "Nope", url: "https://example.com/x", events: ["pin.changed" as const], format: "json" as const, active: true };
    await expect(createWebhook(editor, input)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateWebhook(editor, { ...input, id: webhook.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revealWebhookSecret(editor, { id: webhook.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(rotateWebhookSecret(editor, { id: webhook.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(sendTestWebhook(editor, { id: webhook.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deleteWebhook(editor, { id: webhook.id })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await prisma.webhook.findUnique({ where: { id: webhook.id } })).not.toBeNull();

    const missing = "00000000-0000-4000-8000-000000000000";
    await expect(updateWebhook(admin, { ...input, id: missing })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteWebhook(admin, { id: missing })).rejects.toBeInstanceOf(NotFoundError);
    await expect(revealWebhookSecret(admin, { id: missing })).rejects.toBeInstanceOf(NotFoundError);
    await expect(sendTestWebhook(admin, { id: "not-a-uuid" })).rejects.toBeInstanceOf(InvalidInputError);
    await deleteWebhook(admin, { id: webhook.id });
  });
});
