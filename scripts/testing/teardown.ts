/**
 * The integration tests' afterAll: what the serving path opened in this process, released
 * in the order a shutting-down server does (flush the recorders, stop the budget and the
 * jobs, then close the caches and the pool). Each test names the parts it started; the
 * serving cache is always closed. Not used by the app.
 */
import { closePgPool } from "@/lib/db/pool";
import { stopBoss } from "@/lib/jobs/boss";
import { stopNyckelBudget } from "@/lib/nyckel/budget/service";
import { closeServingCache } from "@/lib/serving/cache";
import { flushServingUsage } from "@/lib/serving/usage";
import { closeShadowCache } from "@/lib/shadow/cache";
import { flushShadowRecorder } from "@/lib/shadow/recorder";

export interface ServingParts {
  /** The shadow recorder (flushed) and the shadow cache (closed). */
  shadow?: boolean;
  /** The usage recorder, flushed. */
  usage?: boolean;
  /** This process's Nyckel budget, stopped. */
  budget?: boolean;
  /** pg-boss, stopped. */
  boss?: boolean;
  /** The raw pg pool, closed. */
  pool?: boolean;
}

export async function releaseServing(parts: ServingParts): Promise<void> {
  if (parts.shadow) await flushShadowRecorder();
  if (parts.usage) await flushServingUsage();
  if (parts.budget) await stopNyckelBudget();
  if (parts.boss) await stopBoss();
  if (parts.shadow) await closeShadowCache();
  await closeServingCache();
  if (parts.pool) await closePgPool();
}
