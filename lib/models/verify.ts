import "server-only";
import type { InvokeInput, NyckelClient } from "@/lib/nyckel/client";
import { isBudgetExhausted } from "@/lib/nyckel/budget/budget";
import { isNyckelError, isUnknownModelError } from "@/lib/nyckel/errors";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { explainNyckelError } from "@/lib/nyckel-settings/errors";

/**
 * How long the check before saving a model id may take, retries included. Past it the
 * id is saved as not verified: registering never waits on a slow Nyckel for long.
 */
export const VERIFY_TIMEOUT_MS = 8_000;

/** A 1×1 transparent PNG: the image an image function's check is made with. */
const PROBE_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const PROBE_TEXT = "Modelpin checks that this model id exists.";

/**
 * What Nyckel said about a model id for a function: it answered with that model
 * (verified), it clearly refused the id (refused), or the check could not tell
 * (unverified, with why: a timeout, a server error, no budget, no way to build an input).
 */
export type Verification = { outcome: "verified"; at: Date } | { outcome: "refused" } | { outcome: "unverified"; note: string };

class NoProbeInput extends Error {}

/** The check's input for a function of this input type; tabular functions get their fields from Nyckel. */
async function probeInput(client: NyckelClient, functionId: string, inputType: string, signal: AbortSignal): Promise<InvokeInput> {
  switch (inputType.toLowerCase()) {
    case "text":
      return { kind: "text", text: PROBE_TEXT };
    case "image":
      return { kind: "image", bytes: new Uint8Array(PROBE_PNG), mimeType: "image/png" };
    case "tabular": {
      const fields = await client.listFields(functionId, { signal, budgetClass: "interactive" });
      const values: Record<string, string | number> = {};
      for (const f of fields) {
        if (f.type === "Number") values[f.name] = 0;
        else if (f.type === "Text") values[f.name] = "check";
        else throw new NoProbeInput(`Modelpin cannot build a check input for the ${f.type} field “${f.name}”.`);
      }
      if (!Object.keys(values).length) throw new NoProbeInput("Nyckel lists no fields for this function, so Modelpin could not build a check input.");
      return { kind: "tabular", fields: values };
    }
    default:
      throw new NoProbeInput(`Modelpin cannot build a check input for ${inputType} functions.`);
  }
}

/** Why the check could not tell, in words for the “not verified” badge. */
function explainFailure(e: unknown, signal: AbortSignal): string {
  if (e instanceof NoProbeInput) return e.message;
  if (signal.aborted) return `Nyckel did not answer within ${VERIFY_TIMEOUT_MS / 1000} s.`;
  if (isBudgetExhausted(e)) return "Modelpin's Nyckel budget was in use by other work; the id was not checked.";
  if (isNyckelError(e)) return explainNyckelError(e)?.message ?? e.message;
  return `The check failed: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Checks a model id with Nyckel before it is saved: one invoke of the function with
 * `modelId` and capture=false (Nyckel keeps nothing), at interactive priority in the
 * shared budget. Never throws for a Nyckel failure: only Nyckel's clear refusal of
 * the id (isUnknownModelError) counts as "refused"; anything less clear is "unverified".
 */
export async function verifyModelId(fn: { id: string; inputType: string }, modelId: string): Promise<Verification> {
  const nyckel = await getNyckelClient();
  if (!nyckel) return { outcome: "unverified", note: "Nyckel is not configured, so the id could not be checked." };
  const signal = AbortSignal.timeout(VERIFY_TIMEOUT_MS);
  try {
    const input = await probeInput(nyckel.client, fn.id, fn.inputType, signal);
    await nyckel.client.invoke(fn.id, input, { modelId, capture: false, labelCount: 1, signal, budgetClass: "interactive" });
    return { outcome: "verified", at: new Date() };
  } catch (e) {
    if (isUnknownModelError(e)) return { outcome: "refused" };
    return { outcome: "unverified", note: explainFailure(e, signal) };
  }
}
