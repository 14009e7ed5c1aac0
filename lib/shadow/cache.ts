import "server-only";
import { PgListener } from "@/lib/db/listen";
import { getPgPool } from "@/lib/db/pool";
import { logger } from "@/lib/logger";

/**
 * The proxy's view of the shadows not stopped, per process, in memory: the hot path asks
 * `activeShadow(environmentId, functionId)` synchronously and never waits for PostgreSQL.
 *
 * - A dedicated connection LISTENs on `modelpin_shadows` (a trigger on `shadows` announces
 *   every change at commit): a notification reloads the list (one small query; bursts
 *   coalesce). Subscribed before the first load, so no change falls between.
 * - A reload every RELOAD_MS bounds what a lost notification could leave behind; a lost
 *   connection keeps the last list while the listener reconnects (lib/db/listen.ts).
 * - Cold (first request of the process): nothing is mirrored until the first load lands;
 *   the request itself never waits for it.
 * - The end time is checked per request against the clock, so a shadow stops mirroring at
 *   its end without any reload.
 */

export const SHADOWS_CHANNEL = "modelpin_shadows";
const RELOAD_MS = 30_000;

export type ShadowEntry = {
  id: string;
  functionId: string;
  environmentId: string;
  candidateModelId: string;
  /** 0–1. */
  share: number;
  maxPerSecond: number;
  /** Epoch ms. */
  endsAt: number;
  keepInputs: boolean;
};

type State = {
  byKey: Map<string, ShadowEntry>;
  loaded: boolean;
  listener: PgListener | null;
  reloading: Promise<void> | null;
  again: boolean;
  timer: NodeJS.Timeout | null;
};

const KEY = Symbol.for("modelpin.shadow.cache");
const holder = globalThis as unknown as { [KEY]?: State };

function state(): State {
  holder[KEY] ??= { byKey: new Map(), loaded: false, listener: null, reloading: null, again: false, timer: null };
  return holder[KEY];
}

const key = (environmentId: string, functionId: string) => `${environmentId} ${functionId}`;

/** The shadow mirroring this environment's traffic for this function now, or null. Never waits. */
export function activeShadow(environmentId: string, functionId: string, now = Date.now()): ShadowEntry | null {
  const s = state();
  if (!s.listener) start(s);
  if (s.byKey.size === 0) return null;
  const entry = s.byKey.get(key(environmentId, functionId));
  return entry && entry.endsAt > now ? entry : null;
}

/** Whether the first load has landed (tests wait for it). */
export function shadowCacheLoaded(): boolean {
  return state().loaded;
}

function start(s: State): void {
  s.listener = new PgListener({
    channel: SHADOWS_CHANNEL,
    applicationName: "modelpin shadow cache",
    onNotification: () => reload(s),
    onConnected: () => reload(s),
    onConnectFailed: (error) => logger.warn({ err: error instanceof Error ? error.message : error }, "shadow cache: cannot listen for changes; retrying"),
  });
  void s.listener.start().catch(() => undefined);
  s.timer = setInterval(() => reload(s), RELOAD_MS);
  s.timer.unref();
}

type Row = {
  id: string;
  function_id: string;
  environment_id: string;
  candidate_model_id: string;
  share_pct: number;
  max_per_second: number;
  ends_at: Date;
  keep_inputs: boolean;
};

async function load(s: State): Promise<void> {
  const { rows } = await getPgPool().query<Row>(
    `SELECT id, function_id, environment_id, candidate_model_id, share_pct, max_per_second, ends_at, keep_inputs
       FROM shadows WHERE stopped_at IS NULL AND ends_at > now()`,
  );
  const next = new Map<string, ShadowEntry>();
  for (const r of rows) {
    next.set(key(r.environment_id, r.function_id), {
      id: r.id,
      functionId: r.function_id,
      environmentId: r.environment_id,
      candidateModelId: r.candidate_model_id,
      share: r.share_pct / 100,
      maxPerSecond: r.max_per_second,
      endsAt: r.ends_at.getTime(),
      keepInputs: r.keep_inputs,
    });
  }
  s.byKey = next;
  s.loaded = true;
}

/** Reloads now (one load at a time; a request during a load runs one more after it). */
export function reload(s: State = state()): Promise<void> {
  if (s.reloading) {
    s.again = true;
    return s.reloading;
  }
  s.reloading = (async () => {
    do {
      s.again = false;
      try {
        await load(s);
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : error }, "shadow cache: reload failed; keeping the last list");
      }
    } while (s.again);
  })().finally(() => {
    s.reloading = null;
  });
  return s.reloading;
}

/** After a change made in this process: reload at once (the notification reaches the other processes). */
export function forgetShadowCache(): void {
  const s = state();
  if (s.listener) void reload(s);
}

/** Loads now and waits for it (tests, the bench). */
export async function refreshShadowCache(): Promise<void> {
  const s = state();
  if (!s.listener) start(s);
  await reload(s);
}

/** Stops listening (tests, shutdown). */
export async function closeShadowCache(): Promise<void> {
  const s = state();
  if (s.timer) clearInterval(s.timer);
  const listener = s.listener;
  s.listener = null;
  s.timer = null;
  s.byKey = new Map();
  s.loaded = false;
  await listener?.close(s.reloading);
}
