/**
 * Reading what Nyckel answers: headers (`Retry-After`, `Link`), error bodies, and the
 * response bodies of the endpoints the client calls. Tolerant: unknown fields are ignored,
 * nulls mean "absent", and undocumented field names are read under several names.
 */
import { z } from "zod";
import type { InvokeOutput, NyckelFunction, NyckelLabel, NyckelMetrics, NyckelSummary } from "./client";

/** Parses `Retry-After` (delta seconds or HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Returns the `rel="next"` target of an RFC 8288 `Link` header, if any. */
export function parseNextLink(header: string | null): string | null {
  if (!header) return null;
  const re = /<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g;
  for (const match of header.matchAll(re)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (rels.includes("next")) return match[1] ?? null;
  }
  return null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pickNumber(obj: Record<string, unknown>, names: string[]): number | null {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  }
  return null;
}

function pickString(obj: Record<string, unknown>, names: string[]): string | null {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === "string" && v.trim() !== "") return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
  }
  return null;
}

/** Nyckel errors are `{"message": …}`; be tolerant of OAuth and ProblemDetails shapes. */
export function extractMessage(body: unknown, text: string): string | undefined {
  if (isRecord(body)) {
    const fromBody = pickString(body, ["message", "error_description", "detail", "title", "error"]);
    if (fromBody) return fromBody;
  }
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}

export function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The items of a list answer: a bare array, or one under `items`/`data`/`results`/`values`. */
export function listItems(body: unknown): unknown[] | undefined {
  return Array.isArray(body)
    ? body
    : isRecord(body)
      ? [body.items, body.data, body.results, body.values].find(Array.isArray)
      : undefined;
}

// ---------------------------------------------------------------------------
// Response schemas (tolerant: unknown fields are ignored, nulls mean "absent")

const labelConfidenceSchema = z.object({
  labelName: z.string().nullish(),
  labelId: z.string().nullish(),
  confidence: z.number(),
});

const invokeOutputSchema = z.object({
  labelName: z.string().nullish(),
  labelId: z.string().nullish(),
  confidence: z.number(),
  labelConfidences: z.array(z.unknown()).nullish(),
  decisionThreshold: z.number().nullish(),
  labelMetadata: z.record(z.string(), z.unknown()).nullish(),
  externalId: z.string().nullish(),
});

export const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string()]).nullish(),
  token_type: z.string().nullish(),
});

const functionSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  input: z.string().nullish(),
  output: z.string().nullish(),
});

const labelSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

// ---------------------------------------------------------------------------
// Bodies of the endpoints

/** An invoke answer, or null when it has no label and confidence. */
export function parseInvokeOutput(body: unknown): InvokeOutput | null {
  const parsed = invokeOutputSchema.safeParse(body);
  if (!parsed.success || (parsed.data.labelName == null && parsed.data.labelId == null)) return null;
  const data = parsed.data;
  const output: InvokeOutput = {
    labelName: data.labelName ?? null,
    labelId: data.labelId ?? null,
    confidence: data.confidence,
  };
  if (data.labelConfidences) {
    output.labelConfidences = data.labelConfidences.flatMap((item) => {
      const one = labelConfidenceSchema.safeParse(item);
      return one.success ? [{ labelName: one.data.labelName ?? null, labelId: one.data.labelId ?? null, confidence: one.data.confidence }] : [];
    });
  }
  if (data.decisionThreshold != null) output.decisionThreshold = data.decisionThreshold;
  if (data.labelMetadata != null) output.labelMetadata = data.labelMetadata;
  if (data.externalId != null) output.externalId = data.externalId;
  return output;
}

/** A function object, or null when it is not one. */
export function parseFunction(item: unknown): NyckelFunction | null {
  const parsed = functionSchema.safeParse(item);
  if (!parsed.success || !isRecord(item)) return null;
  const data = parsed.data;
  return { id: data.id, name: data.name ?? null, input: data.input ?? null, output: data.output ?? null, raw: item };
}

/** A label object, or null when it is not one. */
export function parseLabel(item: unknown): NyckelLabel | null {
  const parsed = labelSchema.safeParse(item);
  if (!parsed.success || !isRecord(item)) return null;
  return {
    id: parsed.data.id,
    name: parsed.data.name,
    description: parsed.data.description ?? null,
    metadata: parsed.data.metadata ?? null,
    raw: item,
  };
}

/** A tabular function's field (`GET /v1/functions/{id}/fields`): its name and type (Number, Text or Image). */
export function parseField(item: unknown): { id: string | null; name: string; type: string } | null {
  if (!isRecord(item) || typeof item.name !== "string" || typeof item.type !== "string") return null;
  return { id: typeof item.id === "string" ? item.id : null, name: item.name, type: item.type };
}

export function parseSummary(raw: unknown): NyckelSummary {
  if (!isRecord(raw)) return { raw, sampleCount: null, annotatedSampleCount: null, labelCounts: null };
  return {
    raw,
    sampleCount: pickNumber(raw, ["sampleCount", "totalSampleCount", "totalSamples", "samples", "count"]),
    annotatedSampleCount: pickNumber(raw, ["annotatedSampleCount", "annotatedCount", "annotatedSamples"]),
    labelCounts: readLabelCounts(raw),
  };
}

export function parseMetrics(raw: unknown): NyckelMetrics {
  if (!isRecord(raw)) {
    return { raw, isTraining: null, sampleCount: null, annotatedSampleCount: null, predictionCount: null, annotatedLabelCount: null, modelId: null };
  }
  const labelCounts = raw.annotatedLabelCounts;
  return {
    raw,
    isTraining: typeof raw.isTraining === "boolean" ? raw.isTraining : null,
    sampleCount: pickNumber(raw, ["sampleCount"]),
    annotatedSampleCount: pickNumber(raw, ["annotatedSampleCount"]),
    predictionCount: pickNumber(raw, ["predictionCount"]),
    annotatedLabelCount: Array.isArray(labelCounts)
      ? labelCounts.length
      : isRecord(labelCounts)
        ? Object.keys(labelCounts).length
        : null,
    modelId: readModelId(raw),
  };
}

const MODEL_ID_FIELDS = ["modelId", "currentModelId", "latestModelId", "activeModelId", "deployedModelId", "servingModelId"];
const MODEL_OBJECT_FIELDS = ["model", "currentModel", "latestModel", "activeModel", "deployedModel"];

/** Reads the current model id from a metrics body, whatever the field is called. */
export function readModelId(raw: Record<string, unknown>): string | null {
  const direct = pickString(raw, MODEL_ID_FIELDS);
  if (direct) return direct;
  for (const name of MODEL_OBJECT_FIELDS) {
    const nested = raw[name];
    if (typeof nested === "string" && nested.trim() !== "") return nested;
    if (isRecord(nested)) {
      const id = pickString(nested, ["id", "modelId"]);
      if (id) return id;
    }
  }
  return null;
}

function readLabelCounts(raw: Record<string, unknown>): NyckelSummary["labelCounts"] {
  for (const name of ["labelCounts", "labels", "perLabel", "annotatedLabelCounts", "labelSampleCounts"]) {
    const value = raw[name];
    if (Array.isArray(value)) {
      return value.flatMap((item) => {
        if (!isRecord(item)) return [];
        const count = pickNumber(item, ["count", "annotatedCount", "sampleCount", "annotatedSampleCount"]);
        if (count === null) return [];
        return [{ labelId: pickString(item, ["labelId", "id"]), labelName: pickString(item, ["labelName", "name"]), count }];
      });
    }
    if (isRecord(value)) {
      return Object.entries(value).flatMap(([key, count]) =>
        typeof count === "number" ? [{ labelId: key.startsWith("label_") ? key : null, labelName: key.startsWith("label_") ? null : key, count }] : [],
      );
    }
  }
  return null;
}
