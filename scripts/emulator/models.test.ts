import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { inputKey, predict, type EmulatorInput } from "./models";
import { EmulatorState, type EmuFunction } from "./state";

const SUBJECTS = ["invoice", "password", "app", "refund", "dashboard", "card", "export", "login", "order", "report"];
const VERBS = ["is broken", "was charged twice", "needs a new feature", "does not load", "is great", "is fine", "crashed"];

/** 1,000 deterministic inputs of the function's kind. */
function generatedInputs(fn: EmuFunction, count = 1000): EmulatorInput[] {
  return Array.from({ length: count }, (_, i): EmulatorInput => {
    switch (fn.input) {
      case "Text":
        return { kind: "text", text: `#${i}: my ${SUBJECTS[i % SUBJECTS.length]} ${VERBS[(i * 7) % VERBS.length]} (${i * 31})` };
      case "Image":
        return i % 4 === 0
          ? { kind: "imageUrl", url: `https://example.com/photos/${i}.jpg` }
          : { kind: "image", bytes: new Uint8Array(createHash("sha256").update(`image ${i}`).digest()), mimeType: "image/png" };
      case "Tabular":
        return {
          kind: "tabular",
          fields: i % 3 === 0 ? { plan: ["free", "pro", "team"][i % 3] as string, seats: i % 40 } : { logins_last_30d: i % 25, tenure_months: i % 60 },
        };
    }
  });
}

function agreement(fn: EmuFunction, a: number, b: number, inputs: EmulatorInput[]): number {
  let same = 0;
  for (const input of inputs) {
    if (predict(fn.id, fn.labels, fn.models, a, input).top === predict(fn.id, fn.labels, fn.models, b, input).top) same++;
  }
  return same / inputs.length;
}

describe("emulator models", () => {
  const state = new EmulatorState();

  it("seeds image, text and tabular classification functions with 3–6 labels and ≥ 3 models", () => {
    const kinds = new Set(state.functions.map((fn) => fn.input));
    expect(kinds).toEqual(new Set(["Image", "Text", "Tabular"]));
    for (const fn of state.functions) {
      expect(fn.labels.length).toBeGreaterThanOrEqual(3);
      expect(fn.labels.length).toBeLessThanOrEqual(6);
      expect(fn.models.length).toBeGreaterThanOrEqual(3);
    }
  });

  it("is deterministic: same input and model give the same output", () => {
    for (const fn of state.functions) {
      for (const input of generatedInputs(fn, 50)) {
        for (let m = 0; m < fn.models.length; m++) {
          expect(predict(fn.id, fn.labels, fn.models, m, input)).toEqual(predict(fn.id, fn.labels, fn.models, m, input));
        }
      }
    }
    // A fresh state (new process, new start) gives the same answers too.
    const again = new EmulatorState();
    const fn = state.functions[1] as EmuFunction;
    const fresh = again.findFunction(fn.id) as EmuFunction;
    const input: EmulatorInput = { kind: "text", text: "The export crashed again" };
    expect(predict(fresh.id, fresh.labels, fresh.models, 2, input)).toEqual(predict(fn.id, fn.labels, fn.models, 2, input));
  });

  it("gives confidences over every label that sum to 1, with the top label highest", () => {
    for (const fn of state.functions) {
      for (const input of generatedInputs(fn, 200)) {
        const { top, confidences } = predict(fn.id, fn.labels, fn.models, fn.models.length - 1, input);
        expect(confidences).toHaveLength(fn.labels.length);
        expect(confidences.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(confidences.every((c) => c > 0 && c < 1)).toBe(true);
        expect(Math.max(...confidences)).toBe(confidences[top]);
        expect(confidences.filter((c) => c === confidences[top])).toHaveLength(1);
      }
    }
  });

  it("makes each model agree with the previous one on 85–95 % of 1,000 inputs", () => {
    const measured: string[] = [];
    for (const fn of state.functions) {
      const inputs = generatedInputs(fn);
      for (let m = 1; m < fn.models.length; m++) {
        const rate = agreement(fn, m - 1, m, inputs);
        measured.push(`${fn.name} ${m - 1}→${m}: ${(rate * 100).toFixed(1)} %`);
        expect(rate, `${fn.name} model ${m - 1} vs ${m}`).toBeGreaterThanOrEqual(0.85);
        expect(rate, `${fn.name} model ${m - 1} vs ${m}`).toBeLessThanOrEqual(0.95);
      }
      // Drift accumulates: the oldest and the newest disagree more than neighbours do.
      const ends = agreement(fn, 0, fn.models.length - 1, inputs);
      expect(ends).toBeLessThan(agreement(fn, fn.models.length - 2, fn.models.length - 1, inputs));
      expect(ends).toBeGreaterThan(0.6);
    }
    expect(measured.length).toBeGreaterThanOrEqual(9);
  });

  it("a model added at run time agrees with the previous latest on 85–95 %", () => {
    const local = new EmulatorState();
    const fn = local.functions[0] as EmuFunction;
    const before = fn.models.length;
    local.addModel(fn.id);
    const rate = agreement(fn, before - 1, before, generatedInputs(fn));
    expect(rate).toBeGreaterThanOrEqual(0.85);
    expect(rate).toBeLessThanOrEqual(0.95);
  });

  it("answers sensibly where it is cheap: keywords for text, a rule for churn", () => {
    const triage = state.functions.find((fn) => fn.key === "support-triage") as EmuFunction;
    const label = (text: string) => triage.labels[predict(triage.id, triage.labels, triage.models, 0, { kind: "text", text }).top]?.name;
    expect(label("I forgot my password and cannot log in")).toBe("Account access");
    expect(label("Please refund my order, I want my money back")).toBe("Refund request");
    expect(label("The app shows an error and then it crashes")).toBe("Technical issue");
    const churn = state.functions.find((fn) => fn.key === "churn-risk") as EmuFunction;
    const row = (logins: number) =>
      churn.labels[predict(churn.id, churn.labels, churn.models, 0, { kind: "tabular", fields: { logins_last_30d: logins } }).top]?.name;
    expect([row(0), row(5), row(40)]).toEqual(["Will churn", "At risk", "Will stay"]);
  });

  it("keys inputs by content, not by transport", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(inputKey({ kind: "image", bytes, mimeType: "image/png" })).toBe(inputKey({ kind: "image", bytes, mimeType: "image/jpeg" }));
    expect(inputKey({ kind: "tabular", fields: { a: 1, b: "x" } })).toBe(inputKey({ kind: "tabular", fields: { b: "x", a: 1 } }));
    expect(inputKey({ kind: "text", text: "a" })).not.toBe(inputKey({ kind: "imageUrl", url: "a" }));
  });
});
