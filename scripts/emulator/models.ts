/**
 * Deterministic "models" of the emulator.
 *
 * The output is a pure function of (function id, input, model chain up to the model
 * used). For an input x:
 *   - model 0 picks a base label: keyword rules for text (and image URLs), a simple
 *     rule for the churn table, otherwise a hash of x;
 *   - model k (k ≥ 1) keeps model k−1's top label, except on a hash-selected share
 *     `flipShare` (≈ 10 %) of inputs, where it picks a different label (also by hash).
 *     Consecutive models therefore agree on ≈ 1 − flipShare of inputs (85–95 %).
 *     A side model (never "latest") is skipped in the chain of every model but itself.
 * Confidences cover every label and sum to 1; the top label always has the highest.
 */
import { createHash } from "node:crypto";

export type EmulatorInput =
  | { kind: "text"; text: string }
  | { kind: "image"; bytes: Uint8Array; mimeType: string }
  | { kind: "imageUrl"; url: string }
  /** Keys are field NAMES (the server resolves field ids to names first). */
  | { kind: "tabular"; fields: Record<string, string | number> };

export interface PredictLabel {
  id: string;
  name: string;
  keywords?: readonly string[];
}

export interface PredictModel {
  id: string;
  flipShare: number;
  /** A side model (added with latest: false): it is in the chain only of its own answers, never of later models'. */
  sideModel?: boolean;
}

export interface Prediction {
  /** Index into the labels array. */
  top: number;
  /** One per label, same order as the labels array; sums to 1. */
  confidences: number[];
}

/** A stable key for an input: the same content gives the same key, whatever the transport. */
export function inputKey(input: EmulatorInput): string {
  switch (input.kind) {
    case "text":
      return `text:${input.text}`;
    case "image":
      return `image:${createHash("sha256").update(input.bytes).digest("hex")}`;
    case "imageUrl":
      return `url:${input.url}`;
    case "tabular": {
      const keys = Object.keys(input.fields).sort();
      return `tab:${JSON.stringify(keys.map((k) => [k, input.fields[k]]))}`;
    }
  }
}

/**
 * A short digest of an input's content (SHA-256 of `inputKey`, 32 hex characters):
 * the invoke log carries it so a test can tell which input each request carried.
 */
export function inputDigest(input: EmulatorInput): string {
  return createHash("sha256").update(inputKey(input)).digest("hex").slice(0, 32);
}

/** Eight uniform numbers in [0, 1) from one SHA-256. */
function uniforms(seed: string): number[] {
  const digest = createHash("sha256").update(seed).digest();
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(digest.readUInt32BE(i * 4) / 2 ** 32);
  return out;
}

function keywordLabel(labels: readonly PredictLabel[], haystack: string): number | null {
  const text = haystack.toLowerCase();
  let best: number | null = null;
  let bestHits = 0;
  labels.forEach((label, index) => {
    const hits = (label.keywords ?? []).filter((word) => text.includes(word)).length;
    if (hits > bestHits) {
      best = index;
      bestHits = hits;
    }
  });
  return best;
}

function ruleLabel(labels: readonly PredictLabel[], input: EmulatorInput): number | null {
  switch (input.kind) {
    case "text":
      return keywordLabel(labels, input.text);
    case "imageUrl":
      return keywordLabel(labels, input.url);
    case "tabular": {
      const logins = input.fields.logins_last_30d;
      if (typeof logins !== "number" || labels.length < 3) return null;
      return logins < 3 ? 0 : logins < 10 ? 1 : 2;
    }
    default:
      return null;
  }
}

export function predict(
  functionId: string,
  labels: readonly PredictLabel[],
  models: readonly PredictModel[],
  modelIndex: number,
  input: EmulatorInput,
): Prediction {
  const n = labels.length;
  if (n < 3) throw new Error("the emulator's models need at least 3 labels");
  if (modelIndex < 0 || modelIndex >= models.length) throw new Error(`no model #${modelIndex}`);
  const key = inputKey(input);

  const base = uniforms(`${functionId}|base|${key}`);
  const rule = ruleLabel(labels, input);
  let top = rule ?? Math.floor((base[0] as number) * n);
  // Rule-based answers are confident; hash-based ones less so.
  let confidence = rule !== null ? 0.72 + 0.25 * (base[1] as number) : 0.5 + 0.45 * (base[1] as number);

  for (let k = 1; k <= modelIndex; k++) {
    const model = models[k] as PredictModel;
    if (model.sideModel && k !== modelIndex) continue;
    const u = uniforms(`${model.id}|step|${key}`);
    if ((u[0] as number) < model.flipShare) {
      top = (top + 1 + Math.floor((u[1] as number) * (n - 1))) % n;
      confidence = 0.5 + 0.2 * (u[2] as number); // disagreements sit on uncertain inputs
    } else {
      confidence = Math.min(0.98, Math.max(0.5, confidence + 0.1 * ((u[2] as number) - 0.5)));
    }
  }

  // Share the rest among the other labels. With ≥ 2 others and weights in [0.05, 1.05),
  // no other label reaches 0.5 ≤ confidence, so `top` stays the maximum.
  const model = models[modelIndex] as PredictModel;
  const w = uniforms(`${model.id}|others|${key}`);
  const others = labels.map((_, i) => (i === top ? 0 : 0.05 + (w[i % 8] as number)));
  const weightSum = others.reduce((a, b) => a + b, 0);
  const confidences = others.map((weight) => ((1 - confidence) * weight) / weightSum);
  confidences[top] = 1 - confidences.reduce((a, b) => a + b, 0);
  return { top, confidences };
}
