/**
 * The emulator child of scripts/bench/emulator-process.ts: starts the emulator with the
 * options given as JSON (argv[2]), prints its URL and credentials as one JSON line, and
 * runs until stdin closes (the parent ended, however it ended).
 */
import { startEmulator, type EmulatorOptions } from "@/scripts/emulator/server";

async function serve(options: EmulatorOptions): Promise<void> {
  const emulator = await startEmulator({ ...options, port: 0, quiet: true });
  process.stdout.write(`${JSON.stringify({ url: emulator.url, clientId: emulator.state.clientId, clientSecret: emulator.state.clientSecret })}\n`);
  const stop = () => void emulator.close().finally(() => process.exit(0));
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.on("SIGTERM", stop);
  process.stdin.resume();
}

serve(JSON.parse(process.argv[2] ?? "{}") as EmulatorOptions).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
