import { ConfigError, env } from "@/lib/env";

/** Called once per server instance from instrumentation.ts. */
export async function onServerStart(): Promise<void> {
  try {
    env();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`\nModelpin cannot start. ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
