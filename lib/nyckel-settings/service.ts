import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { encryptSecret, decryptSecret } from "@/lib/crypto/secret-box";
import { prisma } from "@/lib/db/client";
import { env } from "@/lib/env";
import { InvalidInputError } from "@/lib/errors";
import { outboundFetch, outboundUrlRefusal } from "@/lib/net/outbound";
import { nyckelBudgetPermits } from "@/lib/nyckel/budget/service";
import { NyckelClient } from "@/lib/nyckel/client";
import { parseInput } from "@/lib/validation";
import { encryptionKey, getNyckelConnection } from "./connection";
import { explainNyckelError } from "./errors";
import { baseUrlRefusal, nyckelSettingsSchema, sameBaseUrl, SECRET_MESSAGES, type NyckelSettingsInput } from "./schemas";

type Saved = { baseUrl: string; clientId: string; secretCiphertext: string } | null;

/** An empty secret field means "the saved secret", which only ever goes to the saved base URL. */
function requireSecret(input: { baseUrl: string; clientSecret: string }, saved: Saved): void {
  if (input.clientSecret) return;
  if (!saved) throw new InvalidInputError(SECRET_MESSAGES.missing, { clientSecret: [SECRET_MESSAGES.missing] });
  if (!sameBaseUrl(saved.baseUrl, input.baseUrl)) throw new InvalidInputError(SECRET_MESSAGES.again, { clientSecret: [SECRET_MESSAGES.again] });
}

/**
 * Checks the form's base URL (https, public; see baseUrlRefusal and the
 * save-time DNS check) and decides which secret goes with it: the one typed
 * in, or the saved one — but the saved one only to the saved base URL, so a
 * new URL never receives the stored secret.
 */
async function checkedForm(raw: NyckelSettingsInput, saved: Saved) {
  const input = parseInput(nyckelSettingsSchema, raw);
  const refusal = baseUrlRefusal(input.baseUrl, { allowInsecure: env().MODELPIN_ALLOW_INSECURE_WEBHOOKS }) ?? (await outboundUrlRefusal(input.baseUrl, "the Nyckel base URL"));
  if (refusal) throw new InvalidInputError(refusal, { baseUrl: [refusal] });
  requireSecret(input, saved);
  return input;
}

/** Saves (or replaces) the Nyckel credentials; the secret is stored encrypted and never returned. */
export async function saveNyckelSettings(ctx: ServiceContext, raw: NyckelSettingsInput) {
  authorize(ctx, "nyckel:manage");
  // Checked outside the transaction (it may resolve DNS), and again inside against the row as it is then.
  await checkedForm(raw, await prisma.nyckelSettings.findUnique({ where: { id: 1 } }));
  return prisma.$transaction(async (tx) => {
    const before = await tx.nyckelSettings.findUnique({ where: { id: 1 } });
    const input = parseInput(nyckelSettingsSchema, raw);
    requireSecret(input, before);
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

type TestTarget = { baseUrl: string; clientId: string; clientSecret: string; secret: "entered" | "saved" | "configured"; checked: boolean };

/**
 * Tests credentials against Nyckel: the values in the form when given (an
 * empty secret means the saved one, and only for the saved base URL), else
 * the configured connection. Every attempt is an audit event
 * (`nyckel.connection_tested`, never with the secret).
 */
export async function testNyckelConnection(ctx: ServiceContext, raw?: NyckelSettingsInput) {
  authorize(ctx, "nyckel:manage");
  let target: TestTarget | null = null;
  if (raw) {
    const saved = await prisma.nyckelSettings.findUnique({ where: { id: 1 } });
    const input = await checkedForm(raw, saved);
    const clientSecret = input.clientSecret || decryptSecret(saved!.secretCiphertext, encryptionKey());
    target = { baseUrl: input.baseUrl, clientId: input.clientId, clientSecret, secret: input.clientSecret ? "entered" : "saved", checked: true };
  } else {
    const conn = await getNyckelConnection();
    if (conn) target = { ...conn, secret: "configured", checked: conn.source === "settings" };
  }
  if (!target) throw new InvalidInputError("Nyckel is not configured yet: enter a client id and secret.");
  // A throwaway client without retries, so a wrong secret answers at once. Its requests still take permits
  // from the Nyckel budget (interactive), and admin-entered URLs connect only to public addresses.
  const client = new NyckelClient({
    baseUrl: target.baseUrl,
    clientId: target.clientId,
    clientSecret: target.clientSecret,
    maxRetries: 1,
    timeoutMs: 10_000,
    permits: nyckelBudgetPermits,
    ...(target.checked ? { fetch: outboundFetch() } : {}),
  });
  const started = Date.now();
  let outcome: { ok: true; functionCount: number } | { ok: false; error: unknown };
  try {
    const r = await client.testConnection();
    outcome = { ok: true, functionCount: r.functionCount };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const ms = Date.now() - started;
  const explained = outcome.ok ? null : (explainNyckelError(outcome.error) ?? null);
  // Nyckel's own words are quoted in the message; make sure the secret is never among them.
  const auditError = (explained?.message ?? "unexpected error").split(target.clientSecret).join("[secret]");
  await prisma.$transaction((tx) =>
    appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "nyckel.connection_tested",
      targetType: "nyckel_settings",
      targetId: "1",
      after: {
        baseUrl: target.baseUrl,
        clientId: target.clientId,
        secret: target.secret,
        result: outcome.ok ? "ok" : "failed",
        ...(outcome.ok ? { functionCount: outcome.functionCount } : { error: auditError }),
      },
      requestId: ctx.requestId,
    }),
  );
  if (!outcome.ok) throw explained ?? outcome.error;
  return { ok: true as const, functionCount: outcome.functionCount, ms };
}
