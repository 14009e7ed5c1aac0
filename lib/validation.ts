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
