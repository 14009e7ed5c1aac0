/**
 * The app as the screenshots need it (scripts/screenshot-*.ts): a scratch database
 * with the development seed, an in-process Nyckel emulator, a production build in
 * `distDir` (reused when up to date, or with SKIP_BUILD=1) and `next start` with its
 * workers. Everything started is handed to `defer` to stop.
 */
import { randomBytes } from "node:crypto";
import { runSeed } from "@/scripts/db/migrations";
import { startEmulator } from "@/scripts/emulator/server";
import { startNext } from "./app";
import { appEnv, ensureBuild, type Log } from "./build";
import { scratchDatabase } from "./postgres";

export async function startSeededApp(name: string, distDir: string, defer: (f: () => Promise<void> | void) => void, log: Log) {
  const db = await scratchDatabase(name, log);
  defer(db.stop);
  // One key for the seed and the server: the seed signs the audit chain's head (docs/audit.md).
  const encryptionKey = randomBytes(32).toString("base64");
  await runSeed(db.url, { log: () => undefined, env: { ...process.env, MODELPIN_ENCRYPTION_KEY: encryptionKey } });
  const emulator = await startEmulator({ port: 0, quiet: true });
  defer(() => emulator.close());
  const env = appEnv({ DATABASE_URL: db.url, NYCKEL_EMULATOR_URL: emulator.url, MODELPIN_WORKERS: "on", MODELPIN_ENCRYPTION_KEY: encryptionKey });
  await ensureBuild(env, { distDir, log, reuseAny: process.env.SKIP_BUILD === "1" });
  const server = await startNext(distDir, env, log);
  defer(server.stop);
  return { db, emulator, server, encryptionKey };
}
