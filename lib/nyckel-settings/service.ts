import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { encryptSecret, decryptSecret } from "@/lib/crypto/secret-box";
import { prisma } from "@/lib/db/client";
import { InvalidInputError } from "@/lib/errors";
import { nyckelBudgetPermits } from "@/lib/nyckel/budget/service";
import { NyckelClient } from "@/lib/nyckel/client";
import { parseInput } from "@/lib/validation";
import { encryptionKey, getNyckelConnection } from "./connection";
import { explainNyckelError } from "./errors";
import { nyckelSettingsSchema, type NyckelSettingsInput } from "./schemas";

/** Saves (or replaces) the Nyckel credentials; the secret is stored encrypted and never returned. */
export async function saveNyckelSettings(ctx: ServiceContext, raw: NyckelSettingsInput) {
  authorize(ctx, "nyckel:manage");
  const input = parseInput(nyckelSettingsSchema, raw);
  return prisma.$transaction(async (tx) => {
    const before = await tx.nyckelSettings.findUnique({ where: { id: 1 } });
    if (!input.clientSecret && !before) {
      throw new InvalidInputError("Enter the client secret.", { clientSecret: ["Enter the client secret."] });
    }
    const secretCiphertext = input.clientSecret ? encryptSecret(input.clientSecret, encryptionKey()) : before!.secretCiphertext;
    const data = { baseUrl: input.baseUrl, clientId: input.clientId, secretCiphertext, updatedById: ctx.actor.id };
    await tx.nyckelSettings.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "nyckel.credentials_changed",
      targetType: "nyckel_settings",
      targetId: "1",
      before: before ? { baseUrl: before.baseUrl, clientId: before.clientId, secret: "set" } : null,
      after: { baseUrl: input.baseUrl, clientId: input.clientId, secret: input.clientSecret ? (before ? "replaced" : "set") : "unchanged" },
      requestId: ctx.requestId,
    });
    return { baseUrl: input.baseUrl, clientId: input.clientId };
  });
}

/**
 * Tests credentials against Nyckel: the values in the form when given (an
 * empty secret means the saved one), else the configured connection.
 */
export async function testNyckelConnection(ctx: ServiceContext, raw?: NyckelSettingsInput) {
  authorize(ctx, "nyckel:manage");
  let conn: { baseUrl: string; clientId: string; clientSecret: string } | null;
  if (raw) {
    const input = parseInput(nyckelSettingsSchema, raw);
    let secret = input.clientSecret;
    if (!secret) {
      const saved = await prisma.nyckelSettings.findUnique({ where: { id: 1 } });
      if (!saved) throw new InvalidInputError("Enter the client secret to test.", { clientSecret: ["Enter the client secret."] });
      secret = decryptSecret(saved.secretCiphertext, encryptionKey());
    }
    conn = { baseUrl: input.baseUrl, clientId: input.clientId, clientSecret: secret };
  } else {
    conn = await getNyckelConnection();
  }
  if (!conn) throw new InvalidInputError("Nyckel is not configured yet: enter a client id and secret.");
  // A throwaway client without retries, so a wrong secret answers at once.
  // Its requests still take permits from the Nyckel budget (interactive), like every other call.
  const client = new NyckelClient({ ...conn, maxRetries: 1, timeoutMs: 10_000, permits: nyckelBudgetPermits });
  const started = Date.now();
  try {
    const r = await client.testConnection();
    return { ok: true as const, functionCount: r.functionCount, ms: Date.now() - started };
  } catch (e) {
    throw explainNyckelError(e) ?? e;
  }
}
