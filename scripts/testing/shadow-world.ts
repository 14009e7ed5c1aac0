/**
 * The shadow integration tests' world, set up at a test file's top level: the budget opened
 * wide (a file sends many requests in a few seconds; its rate is not what these files test),
 * support-triage served by its first model with its second as the shadow candidate, and the
 * emulator as Nyckel for the file. Not used by the app.
 */
import { resetConfigForTests } from "@/lib/env";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "./emulator-as-nyckel";

/** `env`: more settings for this file, set with the defaults before the config is read again. */
export function shadowTestWorld(env: Record<string, string> = {}) {
  Object.assign(process.env, { NYCKEL_RATE_LIMIT_RPS: "1000", NYCKEL_SERVING_MAX_WAIT_MS: "3000", ...env });
  resetConfigForTests();
  const triage = seededFunction("support-triage");
  return { triage, served: triage.modelIds[0]!, candidate: triage.modelIds[1]!, emulator: emulatorAsNyckelForFile({ rateLimit: false }) };
}
