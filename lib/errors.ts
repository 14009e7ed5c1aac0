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

export class NotFoundError extends AppError {
  override readonly status = 404;
  override readonly code = "not_found";
}

export class UnauthorizedError extends AppError {
  override readonly status = 401;
  override readonly code = "unauthorized";
}

export class ForbiddenError extends AppError {
  override readonly status = 403;
  override readonly code = "forbidden";
}

export class ConflictError extends AppError {
  override readonly status = 409;
  override readonly code = "conflict";
}

export class InvalidInputError extends AppError {
  override readonly status = 400;
  override readonly code = "invalid_input";
}

/** A failure of Nyckel (or another upstream) that the user should read. */
export class PayloadTooLargeError extends AppError {
  override readonly status = 413;
  override readonly code = "payload_too_large";
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly status = 415;
  override readonly code = "unsupported_media_type";
}

export class UpstreamError extends AppError {
  override readonly status = 502;
  override readonly code = "upstream";
}

export function isExpectedError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Prisma's unique-constraint violation, without importing Prisma here. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}
