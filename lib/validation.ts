import type { z } from "zod";
import { InvalidInputError } from "@/lib/errors";

/** Validates service input with a zod schema; failures become InvalidInputError with field errors. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of r.error.issues) (fieldErrors[String(issue.path[0] ?? "_")] ??= []).push(issue.message);
  throw new InvalidInputError(r.error.issues[0]?.message ?? "Invalid input.", fieldErrors);
}

/** The message for text with a NUL character (PostgreSQL cannot store U+0000 in text). */
export const NUL_MESSAGE = "Text cannot contain the NUL character (U+0000).";

/** Whether any string in `value` (nested objects and arrays included, bounded depth) contains U+0000. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 20 || value === null || typeof value !== "object") return false;
  if (value instanceof FormData) return [...value.entries()].some(([k, v]) => k.includes("\u0000") || (typeof v === "string" && v.includes("\u0000")));
  const entries = Array.isArray(value) ? value : Object.entries(value).flat();
  return entries.some((v) => containsNul(v, depth + 1));
}

/** A zod error's issues by field path (`_` for the whole value): the `fieldErrors` of every error body. */
export function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "_";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
