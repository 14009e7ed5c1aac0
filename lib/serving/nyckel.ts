import "server-only";
import { logger } from "@/lib/logger";
import type { NyckelClient } from "@/lib/nyckel/client";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";

/**
 * The Nyckel client for the invoke proxy, without a database read per call:
 * getNyckelClient() reads the saved credentials from the database, so its
 * answer is kept and refreshed in the background when older than TTL_MS
 * (stale-while-revalidate). Changed credentials in Settings → Nyckel reach the
 * proxy within TTL_MS; with the database down the last answer keeps serving.
 */
const TTL_MS = 10_000;

type Entry = { value: NyckelClient | null; at: number };

const globalForProxy = globalThis as unknown as { modelpinProxyNyckel?: { entry: Entry | null; refreshing: Promise<NyckelClient | null> | null } };

function state() {
  globalForProxy.modelpinProxyNyckel ??= { entry: null, refreshing: null };
  return globalForProxy.modelpinProxyNyckel;
}

function refresh(): Promise<NyckelClient | null> {
  const s = state();
  s.refreshing ??= getNyckelClient()
    .then((found) => {
      const value = found?.client ?? null;
      s.entry = { value, at: Date.now() };
      return value;
    })
    .finally(() => {
      s.refreshing = null;
    });
  return s.refreshing;
}

/** The configured Nyckel client; null when Nyckel is not configured. Awaits the database only when cold. */
export function proxyNyckelClient(): NyckelClient | null | Promise<NyckelClient | null> {
  const s = state();
  if (!s.entry) return refresh();
  if (Date.now() - s.entry.at > TTL_MS && !s.refreshing) {
    refresh().catch((error: unknown) => {
      // Keep serving the last answer; try again after another TTL.
      if (s.entry) s.entry.at = Date.now();
      logger.warn({ err: error instanceof Error ? error.message : error }, "invoke proxy: could not refresh the Nyckel connection; using the last one");
    });
  }
  return s.entry.value;
}

/** Forget the cached connection (after Nyckel refused its credentials, and in tests). */
export function forgetProxyNyckelClient(): void {
  state().entry = null;
}
