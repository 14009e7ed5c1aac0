/**
 * The job queues' names: the app's workers (lib/jobs/boss.ts) use them, and
 * the migrate step creates them as the owner role (lib/db/jobs-schema.ts),
 * since creating a pg-boss queue creates a table and the app role may not.
 * A new queue only needs a line here.
 *
 * Not "server-only": the migration tooling (scripts, Playwright) imports this.
 */
export const QUEUES = {
  comparisonRun: "comparison-run",
  webhookDelivery: "webhook-delivery",
  promotionExpiry: "promotion-expiry",
  webhookRetention: "webhook-retention",
  auditCheckpoint: "audit-checkpoint",
  /** Scheduled sync of functions and Nyckel's current model (drift watch, issue 16). */
  functionSync: "function-sync",
  /** One drift evaluation request: { functionId, candidateModelId: string | null (null = `latest`), trigger }. */
  driftEvaluate: "drift-evaluate",
} as const;

/** pg-boss's schema in Modelpin's database. */
export const JOBS_SCHEMA = "pgboss";
