import "server-only";
import { createHash, randomUUID } from "node:crypto";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { decryptSecret, encryptSecret } from "@/lib/crypto/secret-box";
import { prisma, type Tx } from "@/lib/db/client";
import { env } from "@/lib/env";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { outboundUrlRefusal } from "@/lib/net/outbound";
import { encryptionKey } from "@/lib/nyckel-settings/connection";
import { parseInput } from "@/lib/validation";
import { deliverOnce } from "./deliver";
import { WEBHOOK_TEST_EVENT } from "./event-types";
import type { WebhookEnvelope } from "./format";
import { webhookIdSchema, webhookSchemas, type WebhookIdInput, type WebhookInput, type WebhookUpdateInput } from "./schemas";
import { generateWebhookSecret } from "./sign";

/**
 * Webhook settings (admin only). Every change is an audit event in the same
 * transaction. The signing secret is stored encrypted (AES-256-GCM with
 * MODELPIN_ENCRYPTION_KEY) and never written to the audit log or the logs.
 */

const NOT_FOUND = "This webhook does not exist (it may have been deleted).";

/** The schemas for this server's setting of MODELPIN_ALLOW_INSECURE_WEBHOOKS. */
export function serverWebhookSchemas() {
  return webhookSchemas({ allowInsecure: env().MODELPIN_ALLOW_INSECURE_WEBHOOKS });
}

/**
 * The save-time half of the address rule: the schema refuses IP literals;
 * here a name is resolved and refused when any address is not public. (The
 * connect-time check in lib/net refuses it again if DNS changes later.)
 */
async function assertPublicUrl(url: string): Promise<void> {
  const refusal = await outboundUrlRefusal(url, "webhooks");
  if (refusal) throw new InvalidInputError(refusal, { url: [refusal] });
}

const viewSelect = { id: true, name: true, url: true, events: true, format: true, active: true, createdAt: true, updatedAt: true } as const;

/**
 * What the audit log keeps of a URL: scheme, host and port, plus a short
 * fingerprint of the whole URL. Incoming-webhook URLs (Slack's among them)
 * carry their credential in the path, and the audit log is readable by every
 * viewer; the fingerprint still shows whether the URL changed.
 */
export function auditUrl(url: string): string {
  let origin = "(invalid URL)";
  try {
    origin = new URL(url).origin;
  } catch {
    /* keep the placeholder */
  }
  return `${origin}/… (sha256 ${createHash("sha256").update(url).digest("hex").slice(0, 12)})`;
}

function auditView(w: { name: string; url: string; events: string[]; format: string; active: boolean }) {
  return { name: w.name, url: auditUrl(w.url), events: w.events, format: w.format, active: w.active };
}

async function findForUpdate(tx: Tx, id: string) {
  const [row] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM webhooks WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError(NOT_FOUND);
  return tx.webhook.findUniqueOrThrow({ where: { id }, select: viewSelect });
}

/** Creates a webhook with a new secret; the secret is returned so the admin can copy it. */
export async function createWebhook(ctx: ServiceContext, raw: WebhookInput) {
  authorize(ctx, "webhooks:manage");
  const input = parseInput(serverWebhookSchemas().create, raw);
  await assertPublicUrl(input.url);
  const secret = generateWebhookSecret();
  const webhook = await prisma.$transaction(async (tx) => {
    const created = await tx.webhook.create({
      data: { ...input, secretCiphertext: encryptSecret(secret, encryptionKey()), createdById: ctx.actor.id, createdByLabel: ctx.actor.label },
      select: viewSelect,
    });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "webhook.created",
      targetType: "webhook",
      targetId: created.id,
      after: { ...auditView(created), secret: "generated" },
      requestId: ctx.requestId,
    });
    return created;
  });
  return { webhook, secret };
}

export async function updateWebhook(ctx: ServiceContext, raw: WebhookUpdateInput) {
  authorize(ctx, "webhooks:manage");
  const { id, ...input } = parseInput(serverWebhookSchemas().update, raw);
  await assertPublicUrl(input.url);
  return prisma.$transaction(async (tx) => {
    const before = await findForUpdate(tx, id);
    const after = await tx.webhook.update({ where: { id }, data: input, select: viewSelect });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "webhook.updated",
      targetType: "webhook",
      targetId: id,
      before: auditView(before),
      after: auditView(after),
      requestId: ctx.requestId,
    });
    return after;
  });
}

/** Deletes a webhook and its delivery log; jobs still queued for it are skipped when they run. */
export async function deleteWebhook(ctx: ServiceContext, raw: WebhookIdInput) {
  authorize(ctx, "webhooks:manage");
  const { id } = parseInput(webhookIdSchema, raw);
  return prisma.$transaction(async (tx) => {
    const before = await findForUpdate(tx, id);
    await tx.webhook.delete({ where: { id } });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "webhook.deleted",
      targetType: "webhook",
      targetId: id,
      before: auditView(before),
      requestId: ctx.requestId,
    });
    return { id, name: before.name };
  });
}

/** Replaces the signing secret; the old one stops working at once. Returns the new secret. */
export async function rotateWebhookSecret(ctx: ServiceContext, raw: WebhookIdInput) {
  authorize(ctx, "webhooks:manage");
  const { id } = parseInput(webhookIdSchema, raw);
  const secret = generateWebhookSecret();
  await prisma.$transaction(async (tx) => {
    const before = await findForUpdate(tx, id);
    await tx.webhook.update({ where: { id }, data: { secretCiphertext: encryptSecret(secret, encryptionKey()) } });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "webhook.updated",
      targetType: "webhook",
      targetId: id,
      before: { name: before.name, secret: "previous" },
      after: { name: before.name, secret: "rotated" },
      reason: "Signing secret rotated",
      requestId: ctx.requestId,
    });
  });
  return { id, secret };
}

/** The current signing secret, for an admin to copy into the receiver. Audited (never with the secret). */
export async function revealWebhookSecret(ctx: ServiceContext, raw: WebhookIdInput) {
  authorize(ctx, "webhooks:manage");
  const { id } = parseInput(webhookIdSchema, raw);
  const ciphertext = await prisma.$transaction(async (tx) => {
    const row = await tx.webhook.findUnique({ where: { id }, select: { name: true, secretCiphertext: true } });
    if (!row) throw new NotFoundError(NOT_FOUND);
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "webhook.secret_revealed",
      targetType: "webhook",
      targetId: id,
      after: { name: row.name },
      requestId: ctx.requestId,
    });
    return row.secretCiphertext;
  });
  return { id, secret: decryptSecret(ciphertext, encryptionKey()) };
}

/**
 * "Send test": one `webhook.test` delivery, now, without retries, recorded in
 * the delivery log (no event id). Works for inactive webhooks too, so a
 * receiver can be checked before it is switched on.
 */
export async function sendTestWebhook(ctx: ServiceContext, raw: WebhookIdInput) {
  authorize(ctx, "webhooks:manage");
  const { id } = parseInput(webhookIdSchema, raw);
  const webhook = await prisma.webhook.findUnique({ where: { id }, select: { id: true, name: true, url: true, secretCiphertext: true, format: true } });
  if (!webhook) throw new NotFoundError(NOT_FOUND);
  const envelope: WebhookEnvelope = {
    id: randomUUID(),
    type: WEBHOOK_TEST_EVENT,
    createdAt: new Date().toISOString(),
    data: {
      webhook: { id: webhook.id, name: webhook.name },
      actor: ctx.actor.label,
      message: "A test event from Modelpin. If you can read this, deliveries to this URL work.",
    },
  };
  const result = await deliverOnce(webhook, envelope, { eventId: null, attempt: 1, maxAttempts: 1 });
  return { ok: result.ok, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs, deliveryId: envelope.id };
}
