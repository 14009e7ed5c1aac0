import type { ActionError } from "@/lib/actions/safe-action";

type ResultLike = {
  serverError?: ActionError;
  validationErrors?: { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> };
};

/** The form-level message and per-field errors of a next-safe-action result. */
export function actionErrors(result: ResultLike | undefined): { message?: string; fieldErrors: Record<string, string[]> } {
  const fieldErrors: Record<string, string[]> = {};
  if (!result) return { fieldErrors };
  for (const [k, v] of Object.entries(result.validationErrors?.fieldErrors ?? {})) if (v?.length) fieldErrors[k] = v;
  for (const [k, v] of Object.entries(result.serverError?.fieldErrors ?? {})) fieldErrors[k] = [...(fieldErrors[k] ?? []), ...v];
  const message =
    result.serverError?.message ??
    (result.validationErrors ? (result.validationErrors.formErrors?.[0] ?? "Check the highlighted fields.") : undefined);
  return { message, fieldErrors };
}
