import { afterAll, beforeAll } from "vitest";
import { systemContext } from "@/lib/context";
import { disconnectPrisma } from "@/lib/db/client";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "@/scripts/emulator/state";
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from "@/scripts/emulator/server";
import { saveNyckelSettings } from "@/lib/nyckel-settings/service";

/**
 * For integration test files: starts an emulator before the file's tests, saves it
 * as the app's Nyckel connection (Settings → Nyckel), and stops it (and Prisma)
 * afterwards. Returns an accessor for the running emulator. `options` go to the
 * emulator (e.g. `{ rateLimit: false }` for a file whose tests fire requests
 * faster than Nyckel's 25 per second and do not test the limit itself).
 */
export function emulatorAsNyckelForFile(options: Omit<EmulatorOptions, "port" | "quiet"> = {}): () => EmulatorHandle {
  let handle: EmulatorHandle | undefined;
  beforeAll(async () => {
    handle = await startEmulator({ ...options, port: 0, quiet: true });
    await saveNyckelSettings(systemContext("test"), { baseUrl: handle.url, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
  });
  afterAll(async () => {
    await handle?.close();
    await disconnectPrisma();
  });
  return () => {
    if (!handle) throw new Error("the emulator is not running (use it inside a test)");
    return handle;
  };
}
