/**
 * Seeded functions of the Nyckel emulator. Every id is derived deterministically from
 * a fixed string, so the same ids come back on every start (and are listed in
 * docs/nyckel-emulator.md). Tests import `SEEDED_FUNCTIONS` instead of copying ids.
 */
import { createHash } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A 16-character lowercase alphanumeric id (Nyckel's id shape) derived from `seed`. */
export function deterministicId(seed: string): string {
  const digest = createHash("sha256").update(seed).digest();
  let out = "";
  for (let i = 0; i < 16; i++) out += ALPHABET[(digest[i] as number) % 36];
  return out;
}

export type InputModality = "Text" | "Image" | "Tabular";

export interface SeedLabel {
  name: string;
  description?: string;
  metadata?: Record<string, string>;
  /** Lower-case words that make the first model of a text function pick this label. */
  keywords?: string[];
  /** Annotated training samples reported by /summary and /metrics. */
  trainingCount: number;
}

export interface SeedField {
  name: string;
  type: "Text" | "Number";
}

export interface SeedModel {
  createdAt: string;
  /** Share of inputs whose top label this model changes versus the previous model. */
  flipShare: number;
}

export interface SeedFunction {
  key: string;
  name: string;
  input: InputModality;
  output: "Classification";
  createdAt: string;
  labels: SeedLabel[];
  fields?: SeedField[];
  models: SeedModel[];
}

export const SEED: readonly SeedFunction[] = [
  {
    key: "pets",
    name: "Cat vs dog vs bird",
    input: "Image",
    output: "Classification",
    createdAt: "2025-01-06T09:00:00.000Z",
    labels: [
      { name: "Cat", metadata: { kind: "mammal" }, keywords: ["cat", "kitten"], trainingCount: 142 },
      { name: "Dog", metadata: { kind: "mammal" }, keywords: ["dog", "puppy"], trainingCount: 131 },
      { name: "Bird", metadata: { kind: "bird" }, keywords: ["bird", "parrot"], trainingCount: 97 },
      { name: "Other", description: "Anything that is not a cat, dog or bird", trainingCount: 60 },
    ],
    models: [
      { createdAt: "2025-01-10T14:02:00.000Z", flipShare: 0 },
      { createdAt: "2025-03-02T08:41:00.000Z", flipShare: 0.1 },
      { createdAt: "2025-05-19T16:15:00.000Z", flipShare: 0.09 },
    ],
  },
  {
    key: "support-triage",
    name: "Support ticket triage",
    input: "Text",
    output: "Classification",
    createdAt: "2025-02-03T10:30:00.000Z",
    labels: [
      {
        name: "Billing",
        metadata: { queue: "finance" },
        keywords: ["invoice", "charge", "charged", "billing", "payment", "card", "price", "subscription"],
        trainingCount: 210,
      },
      {
        name: "Technical issue",
        metadata: { queue: "engineering" },
        keywords: ["error", "crash", "bug", "broken", "not working", "fails", "failed", "slow", "timeout"],
        trainingCount: 305,
      },
      {
        name: "Account access",
        metadata: { queue: "support" },
        keywords: ["password", "login", "log in", "sign in", "locked", "2fa", "two-factor", "username"],
        trainingCount: 180,
      },
      {
        name: "Refund request",
        metadata: { queue: "finance" },
        keywords: ["refund", "money back", "reimburse", "cancel my order", "return"],
        trainingCount: 122,
      },
      {
        name: "Feature request",
        metadata: { queue: "product" },
        keywords: ["feature", "would be nice", "please add", "suggestion", "wish", "could you add"],
        trainingCount: 88,
      },
    ],
    models: [
      { createdAt: "2025-02-10T12:00:00.000Z", flipShare: 0 },
      { createdAt: "2025-04-14T09:20:00.000Z", flipShare: 0.11 },
      { createdAt: "2025-06-30T17:45:00.000Z", flipShare: 0.1 },
      { createdAt: "2025-09-08T11:05:00.000Z", flipShare: 0.09 },
    ],
  },
  {
    key: "review-sentiment",
    name: "Review sentiment",
    input: "Text",
    output: "Classification",
    createdAt: "2025-03-11T08:00:00.000Z",
    labels: [
      {
        name: "Positive",
        keywords: ["great", "love", "excellent", "amazing", "good", "happy", "recommend"],
        trainingCount: 400,
      },
      { name: "Neutral", keywords: ["ok", "okay", "fine", "average", "decent"], trainingCount: 150 },
      {
        name: "Negative",
        keywords: ["bad", "terrible", "awful", "hate", "poor", "disappointed", "worst"],
        trainingCount: 330,
      },
    ],
    models: [
      { createdAt: "2025-03-15T10:00:00.000Z", flipShare: 0 },
      { createdAt: "2025-05-01T10:00:00.000Z", flipShare: 0.1 },
      { createdAt: "2025-07-21T10:00:00.000Z", flipShare: 0.1 },
    ],
  },
  {
    key: "churn-risk",
    name: "Churn risk",
    input: "Tabular",
    output: "Classification",
    createdAt: "2025-04-02T15:00:00.000Z",
    fields: [
      { name: "plan", type: "Text" },
      { name: "seats", type: "Number" },
      { name: "logins_last_30d", type: "Number" },
      { name: "tenure_months", type: "Number" },
    ],
    labels: [
      { name: "Will churn", trainingCount: 75 },
      { name: "At risk", trainingCount: 120 },
      { name: "Will stay", trainingCount: 520 },
    ],
    models: [
      { createdAt: "2025-04-05T09:00:00.000Z", flipShare: 0 },
      { createdAt: "2025-06-12T09:00:00.000Z", flipShare: 0.1 },
      { createdAt: "2025-08-25T09:00:00.000Z", flipShare: 0.1 },
    ],
  },
];

export function functionIdFor(key: string): string {
  return `function_${deterministicId(`modelpin-emulator:function:${key}`)}`;
}

export function labelIdFor(functionId: string, labelName: string): string {
  return `label_${deterministicId(`${functionId}:label:${labelName}`)}`;
}

export function fieldIdFor(functionId: string, fieldName: string): string {
  return `field_${deterministicId(`${functionId}:field:${fieldName}`)}`;
}

/** Model `index` (0 = oldest) of a function; runtime-added models continue the sequence. */
export function modelIdFor(functionId: string, index: number): string {
  return `model_${deterministicId(`${functionId}:model:${index}`)}`;
}

export interface SeededFunctionInfo {
  key: string;
  id: string;
  name: string;
  input: InputModality;
  labels: Array<{ id: string; name: string }>;
  /** Oldest first; the last one is "latest". */
  modelIds: string[];
}

/** The seeded ids, for tests and docs. */
export const SEEDED_FUNCTIONS: readonly SeededFunctionInfo[] = SEED.map((fn) => {
  const id = functionIdFor(fn.key);
  return {
    key: fn.key,
    id,
    name: fn.name,
    input: fn.input,
    labels: fn.labels.map((label) => ({ id: labelIdFor(id, label.name), name: label.name })),
    modelIds: fn.models.map((_, index) => modelIdFor(id, index)),
  };
});

export function seededFunction(key: "pets" | "support-triage" | "review-sentiment" | "churn-risk"): SeededFunctionInfo {
  const found = SEEDED_FUNCTIONS.find((fn) => fn.key === key);
  if (!found) throw new Error(`No seeded function ${key}`);
  return found;
}
