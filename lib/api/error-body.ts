/**
 * Reading the route wrapper's error body in the browser (pure, client-safe):
 * `{ "error": { "code", "message", "fieldErrors"?, "requestId" } }`.
 */
export type RouteErrorBody = { error: { code: string; message: string; fieldErrors?: Record<string, string[]>; requestId?: string } };

function isRouteErrorBody(body: unknown): body is RouteErrorBody {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string";
}

/** The message to show for a failed answer: the body's, or one naming the status. */
export function routeErrorMessage(body: unknown, status: number): string {
  return isRouteErrorBody(body) ? body.error.message : `The server answered ${status}. Try again.`;
}

/** The field errors of a failed answer, if any. */
export function routeFieldErrors(body: unknown): Record<string, string[]> {
  return isRouteErrorBody(body) ? (body.error.fieldErrors ?? {}) : {};
}
