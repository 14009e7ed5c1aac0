import type { ModelChoice } from "./schemas";

// The model pickers' values, kept apart from the zod schemas so that client components
// reading them do not load zod.

/** A model picker's value: `latest`, `model:<uuid>` or `pinned:<uuid>` (URL- and form-friendly). */
export function choiceToken(choice: ModelChoice): string {
  return choice.kind === "model" ? `model:${choice.modelRefId}` : choice.kind === "pinned" ? `pinned:${choice.environmentId}` : "latest";
}

/** The inverse of `choiceToken`; anything unknown becomes an invalid choice that the schema refuses. */
export function parseChoiceToken(token: string): ModelChoice {
  if (token.startsWith("model:")) return { kind: "model", modelRefId: token.slice(6) };
  if (token.startsWith("pinned:")) return { kind: "pinned", environmentId: token.slice(7) };
  if (token === "latest") return { kind: "latest" };
  return { kind: "model", modelRefId: "" };
}
