/**
 * What shadow evaluation reads of an invoke answer (pure): the label and confidence of a
 * classification answer (`{ labelName, confidence }`), or why there is none.
 */

export type SideOutcome = { label: string | null; confidence: number | null; error: string | null };

const decoder = new TextDecoder();

export function readOutcome(status: number, body: Uint8Array | string | null): SideOutcome {
  if (status < 200 || status >= 300) return { label: null, confidence: null, error: `status ${status}` };
  if (body === null) return { label: null, confidence: null, error: "empty answer" };
  try {
    const parsed: unknown = JSON.parse(typeof body === "string" ? body : decoder.decode(body));
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    if (first && typeof first === "object") {
      const o = first as { labelName?: unknown; confidence?: unknown };
      if (typeof o.labelName === "string") {
        return { label: o.labelName, confidence: typeof o.confidence === "number" && Number.isFinite(o.confidence) ? o.confidence : null, error: null };
      }
    }
    return { label: null, confidence: null, error: "no label in the answer" };
  } catch {
    return { label: null, confidence: null, error: "answer is not JSON" };
  }
}
