/**
 * The process's own memory (heapUsed + external + arrayBuffers) and event-loop delay
 * (perf_hooks.monitorEventLoopDelay), sampled on a timer: for the upload bounds of
 * issue 12 (growth < 100 MB, no block over 200 ms), in tests and, when
 * MODELPIN_MEMORY_SAMPLE_FILE is set, in a running server for `npm run bench:upload`.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const MB = 2 ** 20;

/** heapUsed + external + arrayBuffers, in bytes. */
export function memoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

export type MemorySample = { t: number; memoryMb: number; loopDelayMaxMs: number };

export interface MemorySampler {
  /** Largest growth over the baseline, and the largest loop delay, since start (or the last reset). */
  peak(): { growthMb: number; loopDelayMaxMs: number };
  /** A new baseline (the memory now) and a new loop-delay maximum. */
  reset(): void;
  stop(): void;
}

/**
 * Samples every `intervalMs` (default 20 ms); `onSample` gets each sample's memory and
 * the largest loop delay since the previous sample.
 */
export function startMemorySampler(options: { intervalMs?: number; onSample?: (sample: MemorySample) => void } = {}): MemorySampler {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let baseline = memoryInUse();
  let maxMemory = baseline;
  let maxDelayMs = 0;
  const sample = () => {
    const memory = memoryInUse();
    const delayMs = histogram.max / 1e6;
    histogram.reset();
    maxMemory = Math.max(maxMemory, memory);
    maxDelayMs = Math.max(maxDelayMs, delayMs);
    options.onSample?.({ t: Date.now(), memoryMb: memory / MB, loopDelayMaxMs: delayMs });
  };
  const timer = setInterval(sample, options.intervalMs ?? 20);
  timer.unref();
  return {
    peak: () => {
      sample();
      return { growthMb: (maxMemory - baseline) / MB, loopDelayMaxMs: maxDelayMs };
    },
    reset: () => {
      histogram.reset();
      baseline = memoryInUse();
      maxMemory = baseline;
      maxDelayMs = 0;
    },
    stop: () => {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

/** Appends one JSON line per sample (`MemorySample`) to `file`, every 50 ms, for the life of the process. */
export function startMemorySampleFile(file: string): MemorySampler {
  writeFileSync(file, "");
  return startMemorySampler({
    intervalMs: 50,
    onSample: (s) => appendFileSync(file, `${JSON.stringify(s)}\n`),
  });
}
