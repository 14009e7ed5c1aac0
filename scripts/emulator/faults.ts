/**
 * Fault injection (docs/nyckel-emulator.md, "Faults"): latency, injected statuses
 * and hangs for the matching API requests, as shares or as a queue of next outcomes.
 */
import type { EmulatorCounters } from "./counters";

/** What happens to one request: answer normally, hang, or fail with a status. */
export type FaultStep = "ok" | "hang" | number | { status: number; retryAfter?: string; message?: string };

export interface EmulatorFaults {
  /** Fixed extra latency (ms) before every matching request is handled. */
  latencyMs?: number;
  /** Plus a uniformly random extra latency in [min, max] ms. */
  latencyRangeMs?: [number, number];
  /** Shares (0–1) of matching requests answered 429 / 500 / 503, or left hanging. */
  share429?: number;
  share500?: number;
  share503?: number;
  shareHang?: number;
  /** `Retry-After` header (seconds) on injected 429 and 503 answers. Default: none. */
  retryAfterSeconds?: number;
  /** Only requests whose path and query string contain this string (e.g. "/invoke", "modelId=model_x"). Default: every API request. */
  pathIncludes?: string;
  /** Outcomes for the next matching requests, consumed in order before the shares apply. */
  next?: FaultStep[];
}

export type FaultDecision =
  | { latencyMs: number; outcome: "none" }
  | { latencyMs: number; outcome: "hang" }
  | { latencyMs: number; outcome: "status"; status: number; retryAfter?: string; message: string };

const FAULT_MESSAGES: Record<number, string> = {
  429: "Too many requests (injected fault)",
  500: "Internal server error (injected fault)",
  502: "Bad gateway (injected fault)",
  503: "Service temporarily unavailable (injected fault)",
  504: "Gateway timeout (injected fault)",
};

type InjectedCounts = EmulatorCounters["injected"];

/** Decides the fault for one API request under `f` (consumes a `next` step when one applies), counting it in `injected`. */
export function decideFault(f: EmulatorFaults, path: string, injected: InjectedCounts): FaultDecision {
    if (f.pathIncludes && !path.includes(f.pathIncludes)) return { latencyMs: 0, outcome: "none" };
    let latencyMs = f.latencyMs ?? 0;
    if (f.latencyRangeMs) {
      const [min, max] = f.latencyRangeMs;
      latencyMs += min + Math.random() * Math.max(0, max - min);
    }
    if (latencyMs > 0) injected.latency++;
    const retryAfter = f.retryAfterSeconds !== undefined ? String(f.retryAfterSeconds) : undefined;

    let step: FaultStep | undefined = f.next?.shift();
    if (step === undefined) {
      const r = Math.random();
      let edge = 0;
      for (const [share, status] of [
        [f.share429, 429],
        [f.share500, 500],
        [f.share503, 503],
      ] as const) {
        edge += share ?? 0;
        if (step === undefined && r < edge) step = status;
      }
      edge += f.shareHang ?? 0;
      if (step === undefined && r < edge) step = "hang";
    }
    if (step === undefined || step === "ok") return { latencyMs, outcome: "none" };
    if (step === "hang") {
      injected.hang++;
      return { latencyMs, outcome: "hang" };
    }
    const status = typeof step === "number" ? step : step.status;
    const stepRetryAfter = typeof step === "object" ? step.retryAfter : undefined;
    const message = (typeof step === "object" ? step.message : undefined) ?? FAULT_MESSAGES[status] ?? `Injected fault ${status}`;
    if (status === 429) injected.status429++;
    else if (status === 500) injected.status500++;
    else if (status === 503) injected.status503++;
    else injected.otherStatus++;
    const withRetryAfter = stepRetryAfter ?? (status === 429 || status === 503 ? retryAfter : undefined);
    return { latencyMs, outcome: "status", status, retryAfter: withRetryAfter, message };
  }
