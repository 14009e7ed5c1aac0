import { ConfigError, env } from "@/lib/env";
import { runsJobWorkers } from "@/lib/deployment/role";
import { stampSocketAddresses } from "@/lib/auth/client-address";

/** Called once per server instance from instrumentation.ts. */
export async function onServerStart(): Promise<void> {
  // First: the sign-in throttle needs every request's socket address (lib/auth/client-address.ts).
  stampSocketAddresses();
  try {
    env();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`\nModelpin cannot start. ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const config = env();
  if (config.isProduction && config.MODELPIN_INVOKE_FAST_PATH === "on") {
    // The invoke proxy answered ahead of Next's request pipeline (docs/serving.md, "Performance").
    const { installInvokeFastPath } = await import("@/lib/serving/node-invoke");
    installInvokeFastPath();
  }
  if (config.isProduction && config.DATABASE_URL) {
    // One line when migrations run as the app's own role (README, Security); never delays start-up.
    const { migrationRoleWarningAtStart } = await import("@/lib/db/role-check");
    void migrationRoleWarningAtStart(config.DATABASE_URL, config.MIGRATION_DATABASE_URL).then((warning) => warning && console.warn(`Modelpin: ${warning}`));
  }
  if (config.MODELPIN_MEMORY_SAMPLE_FILE) {
    const { startMemorySampleFile } = await import("@/lib/diagnostics/memory-sampler");
    startMemorySampleFile(config.MODELPIN_MEMORY_SAMPLE_FILE);
  }
  if (runsJobWorkers(config.role) && config.DATABASE_URL) {
    // Job workers in the web process (MODELPIN_ROLE=all, the default). A failure here must not stop the web server.
    const { startJobWorkers } = await import("@/lib/workers");
    await startJobWorkers().catch((err: unknown) => console.error("Modelpin: the job workers did not start:", err));
  }
}
