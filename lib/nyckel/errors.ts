/**
 * Typed errors for everything that can go wrong when talking to Nyckel.
 *
 * One class, `NyckelError`, with a `code` that callers switch on. Messages are
 * built only from the HTTP method, the request path, the status and Nyckel's
 * own `message`; they never contain the client secret or a bearer token (the
 * client passes both to `redactSecrets` before building any message).
 */

export type NyckelErrorCode =
  | "unauthorized" // 401, or the token endpoint refused the client credentials
  | "forbidden" // 403
  | "not_found" // 404
  | "payment_required" // 402 (Nyckel: billing / free-tier quota exceeded)
  | "conflict" // 409 (Nyckel: usually a duplicate sample)
  | "rate_limited" // 429 after all retries
  | "upstream" // 5xx after all retries
  | "timeout" // no complete answer within the per-request timeout, after all retries
  | "network" // connection refused / reset / DNS, after all retries
  | "bad_request" // 400 and any other 4xx not listed above
  | "invalid_response"; // 2xx whose body is not what the API documents

export interface NyckelErrorInit {
  status?: number;
  nyckelMessage?: string;
  method?: string;
  /** Request path without host or query string, e.g. `/v1/functions/abc/invoke`. */
  path?: string;
  /** Number of HTTP attempts made before giving up (including the first). */
  attempts?: number;
  /** The server's `Retry-After`, in milliseconds, if it sent one. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class NyckelError extends Error {
  override readonly name = "NyckelError";
  readonly code: NyckelErrorCode;
  readonly status?: number;
  readonly nyckelMessage?: string;
  readonly method?: string;
  readonly path?: string;
  readonly attempts?: number;
  readonly retryAfterMs?: number;

  constructor(code: NyckelErrorCode, message: string, init: NyckelErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status;
    this.nyckelMessage = init.nyckelMessage;
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** True for the codes a later, identical request may not hit again. */
  get retryable(): boolean {
    return (
      this.code === "rate_limited" ||
      this.code === "upstream" ||
      this.code === "timeout" ||
      this.code === "network"
    );
  }

  /** Safe to log or send to a browser: no stack, no cause, no headers. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      nyckelMessage: this.nyckelMessage,
      method: this.method,
      path: this.path,
      attempts: this.attempts,
    };
  }
}

export function isNyckelError(value: unknown, code?: NyckelErrorCode): value is NyckelError {
  // By name too: Next bundles this module more than once, and a client shared by the process
  // (lib/serving/nyckel.ts) throws the class of the bundle that made it.
  if (!(value instanceof NyckelError) && !(value instanceof Error && value.name === "NyckelError" && "code" in value)) return false;
  return code === undefined || value.code === code;
}

/** Maps an HTTP status of a non-token request to an error code. */
export function codeForStatus(status: number): NyckelErrorCode {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 402:
      return "payment_required";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    case 429:
      return "rate_limited";
    default:
      if (status >= 500) return "upstream";
      if (status >= 400) return "bad_request";
      return "invalid_response";
  }
}

const UNKNOWN_MODEL = /\bmodel\b[^.]*\b(not found|unknown|invalid|does not exist|doesn't exist|no such)\b|\b(unknown|invalid|no such)\b[^.]*\bmodel\b/i;

/**
 * Nyckel does not document what an unknown `modelId` returns (nyckel-api.md §4).
 * This heuristic recognises a 400/404/422 whose message talks about a model that
 * cannot be found — the emulator answers 400 "Model '<id>' not found for function '<id>'".
 */
export function isUnknownModelError(value: unknown): value is NyckelError {
  if (!isNyckelError(value)) return false;
  if (value.status !== 400 && value.status !== 404 && value.status !== 422) return false;
  return UNKNOWN_MODEL.test(value.nyckelMessage ?? "");
}

/** Replaces every occurrence of the given secrets (ignoring empty ones) with `[redacted]`. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join("[redacted]");
  }
  return out;
}
