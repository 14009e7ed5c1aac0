/**
 * Runs once when a server instance starts (Node.js runtime only): validates
 * the configuration so that a bad or missing required value stops start-up
 * with a message naming the variable, instead of failing on first request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { onServerStart } = await import("@/lib/startup");
    await onServerStart();
  }
}
