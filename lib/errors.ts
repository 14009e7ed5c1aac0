/**
 * Expected errors: their messages are written for the user and reach them
 * (server actions, route handlers). Anything else is logged with a request id
 * and the user sees a generic message.
 */
export class AppError extends Error {
  readonly status: number = 400;
  readonly code: string = "app_error";
  constructor(message: string, readonly fieldErrors?: Record<string, string[]>) {
    super(message);
    this.name = new.target.name;
  }
}

/** The base of each expected error: its HTTP status and its code in API error bodies. */
function expectedError(status: number, code: string) {
  return class extends AppError {
    override readonly status = status;
    override readonly code = code;
  };
}

export class NotFoundError extends expectedError(404, "not_found") {}
export class UnauthorizedError extends expectedError(401, "unauthorized") {}
export class ForbiddenError extends expectedError(403, "forbidden") {}
export class ConflictError extends expectedError(409, "conflict") {}
export class InvalidInputError extends expectedError(400, "invalid_input") {}
export class PayloadTooLargeError extends expectedError(413, "payload_too_large") {}
export class UnsupportedMediaTypeError extends expectedError(415, "unsupported_media_type") {}
/** A token asked for what only a human may do: a request that would apply at once (issue 19). */
export class HumanApprovalRequiredError extends expectedError(403, "human_approval_required") {}
/** Valid input that names something Modelpin cannot act on, e.g. a model id Nyckel does not know (422). */
export class UnprocessableError extends expectedError(422, "unknown_model") {}
/** The evidence gate refused a promotion request; `rule` names the rule (lib/promotions/gate.ts codes). */
export class GateRefusedError extends InvalidInputError {
  constructor(readonly rule: string, message: string, fieldErrors?: Record<string, string[]>) {
    super(message, fieldErrors);
  }
}
/** A failure of Nyckel (or another upstream) that the user should read. */
export class UpstreamError extends expectedError(502, "upstream") {}

export function isExpectedError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Prisma's unique-constraint violation, without importing Prisma here. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}
