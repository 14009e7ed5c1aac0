import "server-only";
import { createHash } from "node:crypto";
import { decodeKey, env } from "@/lib/env";
import { decryptSecret } from "@/lib/crypto/secret-box";
import { prisma } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { outboundAgents, outboundFetch } from "@/lib/net/outbound";
import { nyckelBudgetPermits } from "@/lib/nyckel/budget/service";
import { NyckelClient } from "@/lib/nyckel/client";

export type ConnectionSource = "environment" | "settings" | "emulator";

export type NyckelConnection = {
  source: ConnectionSource;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
};

export function encryptionKey(): Buffer {
  return decodeKey(env().MODELPIN_ENCRYPTION_KEY)!;
}

/**
 * Which Nyckel the app talks to: NYCKEL_CLIENT_ID/SECRET from the environment
 * win, then credentials saved in Settings → Nyckel, then the emulator that
 * `npm run dev` / `npm test` started (NYCKEL_EMULATOR_URL). Null when none.
 */
export async function getNyckelConnection(): Promise<NyckelConnection | null> {
  const config = env();
  if (config.NYCKEL_CLIENT_ID && config.NYCKEL_CLIENT_SECRET) {
    return { source: "environment", baseUrl: config.NYCKEL_BASE_URL, clientId: config.NYCKEL_CLIENT_ID, clientSecret: config.NYCKEL_CLIENT_SECRET };
  }
  const saved = await prisma.nyckelSettings.findUnique({ where: { id: 1 } });
  if (saved) {
    return { source: "settings", baseUrl: saved.baseUrl, clientId: saved.clientId, clientSecret: decryptSecret(saved.secretCiphertext, encryptionKey()) };
  }
  if (config.NYCKEL_EMULATOR_URL) {
    return {
      source: "emulator",
      baseUrl: config.NYCKEL_EMULATOR_URL,
      clientId: config.NYCKEL_EMULATOR_CLIENT_ID,
      clientSecret: config.NYCKEL_EMULATOR_CLIENT_SECRET,
    };
  }
  return null;
}

const clients = new Map<string, NyckelClient>();

/**
 * A client for these credentials; one per credential set per process, so tokens are shared (the budget is per process).
 * A base URL saved in Settings (typed by an admin) connects only to public addresses, checked at connect time
 * (lib/net); the environment's and the emulator's are the operator's and are used as they are.
 */
export function clientFor(conn: Omit<NyckelConnection, "source"> & { source?: ConnectionSource }): NyckelClient {
  const checked = conn.source === "settings";
  const key = createHash("sha256").update(`${conn.baseUrl}\n${conn.clientId}\n${conn.clientSecret}\n${checked}`).digest("hex");
  let client = clients.get(key);
  if (!client) {
    const config = env();
    client = new NyckelClient({
      baseUrl: conn.baseUrl,
      clientId: conn.clientId,
      clientSecret: conn.clientSecret,
      timeoutMs: config.NYCKEL_TIMEOUT_MS,
      // Every request takes a permit from the deployment-wide Nyckel budget (docs/budget.md).
      permits: nyckelBudgetPermits,
      ...(checked ? { fetch: outboundFetch(), passthroughAgents: outboundAgents() } : {}),
      logger: {
        warn: (f, m) => logger.warn({ nyckel: f }, m),
        info: (f, m) => logger.info({ nyckel: f }, m),
        debug: (f, m) => logger.debug({ nyckel: f }, m),
      },
    });
    clients.set(key, client);
  }
  return client;
}

/** The client for the configured connection, or null when Nyckel is not configured. */
export async function getNyckelClient(): Promise<{ client: NyckelClient; connection: NyckelConnection } | null> {
  const connection = await getNyckelConnection();
  if (!connection) return null;
  return { client: clientFor(connection), connection };
}
