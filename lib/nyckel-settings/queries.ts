import "server-only";
import { env } from "@/lib/env";
import { prisma } from "@/lib/db/client";

/** What Settings → Nyckel shows: never the secret, only whether one is set. */
export async function getNyckelSettingsView() {
  const config = env();
  const saved = await prisma.nyckelSettings.findUnique({
    where: { id: 1 },
    select: { baseUrl: true, clientId: true, updatedAt: true },
  });
  return {
    saved: saved ? { baseUrl: saved.baseUrl, clientId: saved.clientId, secretSet: true, updatedAt: saved.updatedAt.toISOString() } : null,
    envOverride: config.nyckelFromEnv ? { baseUrl: config.NYCKEL_BASE_URL, clientId: config.NYCKEL_CLIENT_ID! } : null,
    emulatorUrl: config.NYCKEL_EMULATOR_URL ?? null,
    defaultBaseUrl: config.NYCKEL_BASE_URL,
  };
}
