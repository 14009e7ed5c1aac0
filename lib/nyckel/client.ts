/**
 * Nyckel HTTP client (see ../../docs/nyckel-emulator.md and the shared nyckel-api.md).
 *
 * - OAuth2 client credentials against `POST {base}/connect/token` (form-encoded); the
 *   token is cached until `expires_in` minus a margin (10 % of the lifetime, at least
 *   60 s, at most half the lifetime) and fetched once for all concurrent callers.
 *   A 401 on an API call drops the cached token and retries once with a fresh one.
 * - Every HTTP request (the token request too) takes a permit of its budget class
 *   (serving, interactive, batch, shadow; default interactive) from `permits` — the app
 *   passes the deployment-wide Nyckel budget (lib/nyckel/budget, docs/budget.md) — or,
 *   without it, goes through the process-wide limiter for this base URL + client id
 *   (default 25 starts per sliding second, 25 in flight). Every 429 is reported to it.
 * - 429, 500, 502, 503, 504, timeouts and connection errors are retried with
 *   exponential backoff and full jitter (`random(0, min(cap, base * 2^n))`), or after
 *   the server's `Retry-After` (seconds or HTTP date, capped) when it sends one.
 * - Ids are accepted with or without their prefix (`function_abc` or `abc`) and are
 *   sent to Nyckel BARE (prefix stripped), as the official Python SDK does. Model ids
 *   are sent exactly as given (their format is not documented).
 * - The client secret and bearer tokens never appear in errors or log lines.
 *
 * Reads no environment variables: the app's config module passes everything in.
 */
import { z } from "zod";
import { NyckelError, codeForStatus, redactSecrets, type NyckelErrorCode } from "./errors";
import { RateLimiter, getSharedLimiter, type RateLimitOptions } from "./limiter";
import type { BudgetClass } from "./budget/stats";

/** Where a client takes a permit for each HTTP request (the Nyckel budget). */
export interface NyckelPermits {
  acquire(budgetClass: BudgetClass, signal?: AbortSignal): Promise<() => void>;
  /** Nyckel answered 429 anyway: back off. */
  reportRateLimited(): void;
}

// ---------------------------------------------------------------------------
// Public types

/** pino-compatible: `logger.warn({ ...fields }, "message")`. */
export interface NyckelLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface NyckelClientOptions {
  /** e.g. `https://www.nyckel.com` or the emulator's URL. A path prefix is kept. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Per HTTP attempt, including reading the body. Default 30 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures. Default 4. */
  maxRetries?: number;
  /** Backoff base (first retry waits up to this). Default 200 ms. */
  retryBaseDelayMs?: number;
  /** Backoff cap. Default 5 000 ms. */
  retryMaxDelayMs?: number;
  /** Longest `Retry-After` honoured; longer values are clamped to this. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** Limits of the shared limiter, or `false` for none. Default 25/s and 25 in flight. */
  rateLimit?: Partial<RateLimitOptions> | false;
  /** Use this limiter instead of the shared one (tests, special set-ups). */
  limiter?: RateLimiter;
  /** Take permits here instead of any limiter (the app's Nyckel budget). */
  permits?: NyckelPermits;
  fetch?: typeof fetch;
  /** Connections for pass-through requests (passthrough.ts), e.g. agents that check every address; default: plain keep-alive agents. */
  passthroughAgents?: PassthroughAgents;
  logger?: NyckelLogger;
  /** Wall clock used for token expiry. Default `Date.now`. */
  now?: () => number;
}

/** Agents for pass-through requests, by protocol. */
export type PassthroughAgents = { http: import("node:http").Agent; https: import("node:https").Agent };

export type InvokeInput =
  | { kind: "text"; text: string }
  | {
      kind: "image";
      bytes: Uint8Array;
      mimeType: string;
      /** `json` (default): a data URI in `{"data": …}`; `multipart`: form part `data`. */
      transport?: "json" | "multipart";
      fileName?: string;
    }
  | { kind: "imageUrl"; url: string }
  | { kind: "tabular"; fields: Record<string, string | number> };

export interface InvokeOptions {
  /** Pin the model. Omitted (or empty) = Nyckel's current model. Sent as given. */
  modelId?: string | null;
  /** Ask for the top-N label confidences. */
  labelCount?: number;
  includeMetadata?: boolean;
  /** Nyckel's default is true (the invoke becomes a sample). Sent only when set. */
  capture?: boolean;
  externalId?: string;
  signal?: AbortSignal;
  /** The budget class of this call. Default interactive. */
  budgetClass?: BudgetClass;
}

export interface LabelConfidence {
  labelName: string | null;
  labelId: string | null;
  confidence: number;
}

export interface InvokeOutput {
  labelName: string | null;
  labelId: string | null;
  confidence: number;
  labelConfidences?: LabelConfidence[];
  decisionThreshold?: number;
  labelMetadata?: Record<string, unknown>;
  externalId?: string;
}

export interface InvokeResult {
  output: InvokeOutput;
  /** Round trip of the successful HTTP attempt (request sent → body read). */
  latencyMs: number;
  /** Everything: token, limiter waits, retries and backoff. */
  totalMs: number;
  attempts: number;
  /** The parsed response body as Nyckel sent it. */
  raw: unknown;
}

export interface NyckelFunction {
  id: string;
  name: string | null;
  input: string | null;
  output: string | null;
  raw: Record<string, unknown>;
}

export interface NyckelLabel {
  id: string;
  name: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  raw: Record<string, unknown>;
}

export interface NyckelSummary {
  /** Field names of the summary are not documented: the raw body, plus what we could read. */
  raw: unknown;
  sampleCount: number | null;
  annotatedSampleCount: number | null;
  labelCounts: Array<{ labelId: string | null; labelName: string | null; count: number }> | null;
}

export interface NyckelMetrics {
  raw: unknown;
  isTraining: boolean | null;
  sampleCount: number | null;
  annotatedSampleCount: number | null;
  predictionCount: number | null;
  /** Number of labels with annotations (the SDK's `len(annotatedLabelCounts)`). */
  annotatedLabelCount: number | null;
  modelId: string | null;
}

export interface ListOptions {
  /** Sent as `batchSize`; omitted by default (server's page size). */
  pageSize?: number;
  signal?: AbortSignal;
  /** The budget class of these calls. Default interactive. */
  budgetClass?: BudgetClass;
}

// ---------------------------------------------------------------------------
// Helpers

/**
 * Strips a Nyckel id prefix: `function_abc` → `abc`. Like the official SDK, only an id
 * made of exactly two `_`-separated parts is stripped; anything else (bare ids, slugs
 * such as `toxic-language-identifier`) is returned unchanged.
 */
export function stripPrefix(id: string): string {
  const parts = id.trim().split("_");
  if (parts.length === 2 && parts[0] && parts[1]) return parts[1];
  return id.trim();
}

/**
 * `ensurePrefix("function", "abc")` → `function_abc`. Ids that already carry a prefix and
 * slugs that are not plain alphanumerics (`toxic-language-identifier`) are kept as they are.
 */
export function ensurePrefix(prefix: string, id: string): string {
  const trimmed = id.trim();
  return /^[A-Za-z0-9]+$/.test(trimmed) ? `${prefix}_${trimmed}` : trimmed;
}

const DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 4,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
} as const;

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const DEFAULT_TOKEN_LIFETIME_S = 3600;

/** Parses `Retry-After` (delta seconds or HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Returns the `rel="next"` target of an RFC 8288 `Link` header, if any. */
export function parseNextLink(header: string | null): string | null {
  if (!header) return null;
  const re = /<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g;
  for (const match of header.matchAll(re)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (rels.includes("next")) return match[1] ?? null;
  }
  return null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pickNumber(obj: Record<string, unknown>, names: string[]): number | null {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  }
  return null;
}

function pickString(obj: Record<string, unknown>, names: string[]): string | null {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === "string" && v.trim() !== "") return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
  }
  return null;
}

/** Nyckel errors are `{"message": …}`; be tolerant of OAuth and ProblemDetails shapes. */
function extractMessage(body: unknown, text: string): string | undefined {
  if (isRecord(body)) {
    const fromBody = pickString(body, ["message", "error_description", "detail", "title", "error"]);
    if (fromBody) return fromBody;
  }
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/jpg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/bmp": "bmp",
};

// ---------------------------------------------------------------------------
// Response schemas (tolerant: unknown fields are ignored, nulls mean "absent")

const labelConfidenceSchema = z.object({
  labelName: z.string().nullish(),
  labelId: z.string().nullish(),
  confidence: z.number(),
});

const invokeOutputSchema = z.object({
  labelName: z.string().nullish(),
  labelId: z.string().nullish(),
  confidence: z.number(),
  labelConfidences: z.array(z.unknown()).nullish(),
  decisionThreshold: z.number().nullish(),
  labelMetadata: z.record(z.string(), z.unknown()).nullish(),
  externalId: z.string().nullish(),
});

const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string()]).nullish(),
  token_type: z.string().nullish(),
});

const functionSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  input: z.string().nullish(),
  output: z.string().nullish(),
});

const labelSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

// ---------------------------------------------------------------------------

interface RequestSpec {
  method: "GET" | "POST";
  /** Path starting with `/` (appended to the base URL), or an absolute same-origin URL. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: string | FormData | URLSearchParams;
  contentType?: string;
  auth: boolean;
  signal?: AbortSignal;
  budgetClass?: BudgetClass;
  /** Token requests classify 400/401 `invalid_client` as bad credentials. */
  isTokenRequest?: boolean;
}

interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
  latencyMs: number;
  attempts: number;
}

type AttemptOutcome =
  | { kind: "response"; status: number; headers: Headers; text: string }
  | { kind: "timeout" }
  | { kind: "network"; error: unknown };

export class NyckelClient {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly #clientSecret: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseDelayMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #limiter: RateLimiter | null;
  readonly #permits: NyckelPermits | null;
  readonly #fetch: typeof fetch;
  readonly passthroughAgents: PassthroughAgents | null;
  readonly #logger: NyckelLogger | undefined;
  readonly #now: () => number;
  #token: { value: string; refreshAt: number } | null = null;
  #tokenPromise: Promise<string> | null = null;

  constructor(options: NyckelClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new NyckelError("bad_request", "The Nyckel base URL is not a valid URL");
    }
    if (base.protocol !== "https:" && base.protocol !== "http:") {
      throw new NyckelError("bad_request", "The Nyckel base URL must start with https:// or http://");
    }
    if (!options.clientId?.trim()) throw new NyckelError("bad_request", "The Nyckel client id is empty");
    if (!options.clientSecret) throw new NyckelError("bad_request", "The Nyckel client secret is empty");
    this.baseUrl = `${base.origin}${base.pathname}`.replace(/\/+$/, "");
    this.clientId = options.clientId.trim();
    this.#clientSecret = options.clientSecret;
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#maxRetries = Math.max(0, Math.floor(options.maxRetries ?? DEFAULTS.maxRetries));
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs;
    this.#retryMaxDelayMs = options.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.passthroughAgents = options.passthroughAgents ?? null;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#permits = options.permits ?? null;
    if (options.permits) this.#limiter = null;
    else if (options.limiter) this.#limiter = options.limiter;
    else if (options.rateLimit === false) this.#limiter = null;
    else this.#limiter = getSharedLimiter(this.baseUrl, this.clientId, options.rateLimit ?? {});
  }

  /** The permits this client takes (the Nyckel budget), or null when it uses a limiter or none. */
  get permits(): NyckelPermits | null {
    return this.#permits;
  }

  /** The limits of this client's limiter (shared per account), or null when it has none. */
  get rateLimits(): Required<RateLimitOptions> | null {
    return this.#limiter?.limits ?? null;
  }

  /** Never print the secret, even by accident (`console.log(client)`, JSON). */
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl, clientId: this.clientId };
  }

  // ---- auth ---------------------------------------------------------------

  async #getToken(budgetClass: BudgetClass = "interactive"): Promise<string> {
    const cached = this.#token;
    if (cached && this.#now() < cached.refreshAt) return cached.value;
    // One token request for all concurrent callers. It is not tied to any one caller's
    // AbortSignal (one caller giving up must not fail the others); the per-request
    // timeout bounds it.
    if (!this.#tokenPromise) {
      this.#tokenPromise = this.#fetchToken(budgetClass).finally(() => {
        this.#tokenPromise = null;
      });
    }
    return this.#tokenPromise;
  }

  async #fetchToken(budgetClass: BudgetClass): Promise<string> {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.clientId,
      client_secret: this.#clientSecret,
    });
    const res = await this.#request({
      method: "POST",
      path: "/connect/token",
      body: form,
      contentType: "application/x-www-form-urlencoded",
      auth: false,
      isTokenRequest: true,
      budgetClass,
    });
    const parsed = tokenSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new NyckelError("invalid_response", "Nyckel's token endpoint answered without an access_token", {
        status: res.status,
        method: "POST",
        path: "/connect/token",
      });
    }
    const lifetimeS = Number(parsed.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_S);
    const lifetimeMs = (Number.isFinite(lifetimeS) && lifetimeS > 0 ? lifetimeS : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    const marginMs = Math.min(Math.max(60_000, lifetimeMs * 0.1), lifetimeMs / 2);
    this.#token = { value: parsed.data.access_token, refreshAt: this.#now() + lifetimeMs - marginMs };
    this.#logger?.debug({ baseUrl: this.baseUrl, expiresInS: lifetimeMs / 1000 }, "nyckel: fetched access token");
    return parsed.data.access_token;
  }

  #dropToken(value: string): void {
    if (this.#token?.value === value) this.#token = null;
  }

  // ---- transport ----------------------------------------------------------

  #url(path: string, query?: RequestSpec["query"]): URL {
    let url: URL;
    if (/^https?:\/\//i.test(path)) {
      url = new URL(path);
      if (url.origin !== new URL(this.baseUrl).origin) {
        throw new NyckelError("invalid_response", "Nyckel returned a link to another host; refusing to follow it", {
          path: url.pathname,
        });
      }
    } else {
      url = new URL(this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    }
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Removes the secret, the cached token and `usedToken` (possibly dropped since) from text. */
  #redact(text: string, usedToken?: string | null): string {
    return redactSecrets(text, [this.#clientSecret, this.#token?.value, usedToken]);
  }

  #backoff(retryNumber: number): number {
    const ceiling = Math.min(this.#retryMaxDelayMs, this.#retryBaseDelayMs * 2 ** (retryNumber - 1));
    return Math.round(Math.random() * ceiling);
  }

  async #attempt(url: URL, spec: RequestSpec, token: string | null): Promise<AttemptOutcome & { latencyMs: number }> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (spec.contentType) headers["Content-Type"] = spec.contentType;
    if (token) headers.Authorization = `Bearer ${token}`;

    const release = this.#permits
      ? await this.#permits.acquire(spec.budgetClass ?? "interactive", spec.signal)
      : this.#limiter
        ? await this.#limiter.acquire(spec.signal)
        : () => {};
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    const onCallerAbort = () => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener("abort", onCallerAbort, { once: true });
    const started = performance.now();
    try {
      const res = await this.#fetch(url, {
        method: spec.method,
        headers,
        body: spec.body,
        signal: controller.signal,
        redirect: "manual",
      });
      const text = await res.text();
      return { kind: "response", status: res.status, headers: res.headers, text, latencyMs: performance.now() - started };
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      const latencyMs = performance.now() - started;
      if (timedOut) return { kind: "timeout", latencyMs };
      return { kind: "network", error, latencyMs };
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onCallerAbort);
      release();
    }
  }

  async #request(spec: RequestSpec): Promise<HttpResult> {
    const url = this.#url(spec.path, spec.query);
    const path = url.pathname;
    let attempts = 0;
    let retries = 0;
    let refreshedAfter401 = false;

    for (;;) {
      const token = spec.auth ? await this.#getToken(spec.budgetClass) : null;
      attempts++;
      const outcome = await this.#attempt(url, spec, token);

      let code: NyckelErrorCode;
      let status: number | undefined;
      let nyckelMessage: string | undefined;
      let retryAfterMs: number | undefined;

      if (outcome.kind === "response") {
        status = outcome.status;
        if (status === 429) this.#permits?.reportRateLimited();
        const body = parseJson(outcome.text);
        if (status >= 200 && status < 300) {
          this.#logger?.debug({ method: spec.method, path, status, attempts, latencyMs: Math.round(outcome.latencyMs) }, "nyckel: ok");
          return { status, headers: outcome.headers, body, text: outcome.text, latencyMs: outcome.latencyMs, attempts };
        }
        nyckelMessage = extractMessage(body, outcome.text);
        if (nyckelMessage !== undefined) nyckelMessage = this.#redact(nyckelMessage, token);
        retryAfterMs = parseRetryAfter(outcome.headers.get("retry-after"));

        if (status === 401 && token && !refreshedAfter401) {
          // The token may have expired or been revoked early: one retry with a fresh one.
          refreshedAfter401 = true;
          this.#dropToken(token);
          this.#logger?.info({ method: spec.method, path }, "nyckel: 401, retrying once with a fresh token");
          continue;
        }
        if (spec.isTokenRequest && (status === 400 || status === 401 || status === 403)) {
          const oauthError = isRecord(body) && typeof body.error === "string" ? body.error : undefined;
          if (status !== 400 || oauthError === "invalid_client" || oauthError === "unauthorized_client") {
            throw new NyckelError(
              "unauthorized",
              `Nyckel refused the client credentials (${status}${oauthError ? ` ${oauthError}` : ""}): check the client id and secret`,
              { status, nyckelMessage, method: spec.method, path, attempts },
            );
          }
        }
        if (status >= 300 && status < 400) {
          const location = outcome.headers.get("location");
          throw new NyckelError(
            "invalid_response",
            `Nyckel answered ${status} with a redirect${location ? ` to ${this.#redact(location, token)}` : ""}; check the base URL`,
            { status, method: spec.method, path, attempts },
          );
        }
        code = codeForStatus(status);
        if (!RETRYABLE_STATUS.has(status)) {
          throw this.#error(code, spec.method, path, { status, nyckelMessage, attempts, retryAfterMs });
        }
      } else if (outcome.kind === "timeout") {
        code = "timeout";
      } else {
        code = "network";
      }

      if (retries >= this.#maxRetries) {
        const cause = outcome.kind === "network" ? outcome.error : undefined;
        throw this.#error(code, spec.method, path, { status, nyckelMessage, attempts, retryAfterMs, cause });
      }
      retries++;
      const delayMs =
        retryAfterMs !== undefined ? Math.min(retryAfterMs, this.#maxRetryAfterMs) : this.#backoff(retries);
      this.#logger?.warn(
        { method: spec.method, path, status, code, attempt: attempts, retryInMs: delayMs },
        `nyckel: ${code}${status ? ` (${status})` : ""}, retrying`,
      );
      await sleep(delayMs, spec.signal);
    }
  }

  #error(
    code: NyckelErrorCode,
    method: string,
    path: string,
    init: { status?: number; nyckelMessage?: string; attempts: number; retryAfterMs?: number; cause?: unknown },
  ): NyckelError {
    const what: Record<NyckelErrorCode, string> = {
      unauthorized: "Nyckel rejected the access token",
      forbidden: "Nyckel refused access",
      not_found: "Not found on Nyckel",
      payment_required: "Nyckel requires payment (quota or billing)",
      conflict: "Nyckel reported a conflict",
      rate_limited: "Nyckel rate limit exceeded",
      upstream: "Nyckel server error",
      timeout: `Nyckel did not answer within ${this.#timeoutMs} ms`,
      network: "Could not reach Nyckel",
      bad_request: "Nyckel rejected the request",
      invalid_response: "Nyckel returned an unexpected response",
    };
    let message = `${what[code]} (${init.status ? `${init.status} ` : ""}${method} ${path}`;
    message += init.attempts > 1 ? `, ${init.attempts} attempts)` : ")";
    if (init.nyckelMessage) message += `: ${init.nyckelMessage}`;
    if (code === "network" && init.cause instanceof Error) {
      const detail = init.cause.cause instanceof Error ? init.cause.cause.message : init.cause.message;
      message += `: ${detail}`;
    }
    return new NyckelError(code, this.#redact(message), { ...init, method, path });
  }

  async #getJson(path: string, query?: RequestSpec["query"], signal?: AbortSignal, budgetClass?: BudgetClass): Promise<HttpResult> {
    return this.#request({ method: "GET", path, query, auth: true, signal, budgetClass });
  }

  /** GETs a list, following `Link: <…>; rel="next"` (host-relative or same-origin absolute). */
  async #getAll(path: string, options: ListOptions = {}): Promise<unknown[]> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let next: string | null = path;
    let query: RequestSpec["query"] = options.pageSize ? { batchSize: options.pageSize } : undefined;
    for (let page = 0; next !== null; page++) {
      if (page >= 10_000 || seen.has(next)) {
        throw new NyckelError("invalid_response", `Pagination of ${path} does not end`, { method: "GET", path });
      }
      seen.add(next);
      const res = await this.#getJson(next, query, options.signal, options.budgetClass);
      query = undefined; // the next link carries its own query string
      const body = res.body;
      const list = Array.isArray(body)
        ? body
        : isRecord(body)
          ? [body.items, body.data, body.results, body.values].find(Array.isArray)
          : undefined;
      if (!Array.isArray(list)) {
        throw new NyckelError("invalid_response", `Expected a JSON array from GET ${path}`, {
          status: res.status,
          method: "GET",
          path,
        });
      }
      items.push(...list);
      next = parseNextLink(res.headers.get("link"));
    }
    return items;
  }

  // ---- API ----------------------------------------------------------------

  async invoke(functionId: string, input: InvokeInput, options: InvokeOptions = {}): Promise<InvokeResult> {
    const started = performance.now();
    const path = `/v1/functions/${encodeURIComponent(stripPrefix(functionId))}/invoke`;
    if (options.labelCount !== undefined && (!Number.isInteger(options.labelCount) || options.labelCount < 1)) {
      throw new NyckelError("bad_request", "labelCount must be a positive integer");
    }
    const query: RequestSpec["query"] = {
      modelId: options.modelId ? options.modelId : undefined,
      labelCount: options.labelCount,
      includeMetadata: options.includeMetadata,
      capture: options.capture,
      externalId: options.externalId,
    };

    // Build the body before taking a limiter slot, so the request leaves right away.
    let body: string | FormData;
    let contentType: string | undefined;
    switch (input.kind) {
      case "text":
        if (typeof input.text !== "string") throw new NyckelError("bad_request", "Text input must be a string");
        body = JSON.stringify({ data: input.text });
        contentType = "application/json";
        break;
      case "imageUrl":
        if (!/^https?:\/\//i.test(input.url)) {
          throw new NyckelError("bad_request", "Image URLs must start with http:// or https://");
        }
        body = JSON.stringify({ data: input.url });
        contentType = "application/json";
        break;
      case "tabular":
        body = JSON.stringify({ data: input.fields });
        contentType = "application/json";
        break;
      case "image": {
        if (!(input.bytes instanceof Uint8Array) || input.bytes.byteLength === 0) {
          throw new NyckelError("bad_request", "Image input has no bytes");
        }
        const mimeType = input.mimeType || "application/octet-stream";
        if (input.transport === "multipart") {
          const form = new FormData();
          const ext = EXTENSIONS[mimeType.toLowerCase()] ?? "bin";
          const copy = new Uint8Array(input.bytes); // a plain ArrayBuffer-backed copy for Blob
          form.append("data", new Blob([copy], { type: mimeType }), input.fileName ?? `image.${ext}`);
          body = form; // fetch sets the multipart boundary
          contentType = undefined;
        } else {
          body = JSON.stringify({ data: `data:${mimeType};base64,${toBase64(input.bytes)}` });
          contentType = "application/json";
        }
        break;
      }
      default: {
        const never: never = input;
        throw new NyckelError("bad_request", `Unknown input kind ${(never as { kind: string }).kind}`);
      }
    }

    const res = await this.#request({ method: "POST", path, query, body, contentType, auth: true, signal: options.signal, budgetClass: options.budgetClass });
    const parsed = invokeOutputSchema.safeParse(res.body);
    if (!parsed.success || (parsed.data.labelName == null && parsed.data.labelId == null)) {
      throw new NyckelError("invalid_response", `Nyckel's invoke answer has no label and confidence (POST ${path})`, {
        status: res.status,
        method: "POST",
        path,
        attempts: res.attempts,
      });
    }
    const data = parsed.data;
    const output: InvokeOutput = {
      labelName: data.labelName ?? null,
      labelId: data.labelId ?? null,
      confidence: data.confidence,
    };
    if (data.labelConfidences) {
      output.labelConfidences = data.labelConfidences.flatMap((item) => {
        const one = labelConfidenceSchema.safeParse(item);
        return one.success ? [{ labelName: one.data.labelName ?? null, labelId: one.data.labelId ?? null, confidence: one.data.confidence }] : [];
      });
    }
    if (data.decisionThreshold != null) output.decisionThreshold = data.decisionThreshold;
    if (data.labelMetadata != null) output.labelMetadata = data.labelMetadata;
    if (data.externalId != null) output.externalId = data.externalId;
    return { output, latencyMs: res.latencyMs, totalMs: performance.now() - started, attempts: res.attempts, raw: res.body };
  }

  async listFunctions(options: ListOptions = {}): Promise<NyckelFunction[]> {
    const items = await this.#getAll("/v1/functions", options);
    return items.flatMap((item) => {
      const parsed = functionSchema.safeParse(item);
      if (!parsed.success || !isRecord(item)) return [];
      return [toFunction(parsed.data, item)];
    });
  }

  async getFunction(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<NyckelFunction> {
    const path = `/v1/functions/${encodeURIComponent(stripPrefix(functionId))}`;
    const res = await this.#getJson(path, undefined, signal, budgetClass);
    const parsed = functionSchema.safeParse(res.body);
    if (!parsed.success || !isRecord(res.body)) {
      throw new NyckelError("invalid_response", `Expected a function object from GET ${path}`, {
        status: res.status,
        method: "GET",
        path,
      });
    }
    return toFunction(parsed.data, res.body);
  }

  async listLabels(functionId: string, options: ListOptions = {}): Promise<NyckelLabel[]> {
    const items = await this.#getAll(`/v1/functions/${encodeURIComponent(stripPrefix(functionId))}/labels`, options);
    return items.flatMap((item) => {
      const parsed = labelSchema.safeParse(item);
      if (!parsed.success || !isRecord(item)) return [];
      return [
        {
          id: parsed.data.id,
          name: parsed.data.name,
          description: parsed.data.description ?? null,
          metadata: parsed.data.metadata ?? null,
          raw: item,
        },
      ];
    });
  }

  async getSummary(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<NyckelSummary> {
    const path = `/v1/functions/${encodeURIComponent(stripPrefix(functionId))}/summary`;
    const res = await this.#getJson(path, undefined, signal, budgetClass);
    const raw = res.body;
    if (!isRecord(raw)) return { raw, sampleCount: null, annotatedSampleCount: null, labelCounts: null };
    return {
      raw,
      sampleCount: pickNumber(raw, ["sampleCount", "totalSampleCount", "totalSamples", "samples", "count"]),
      annotatedSampleCount: pickNumber(raw, ["annotatedSampleCount", "annotatedCount", "annotatedSamples"]),
      labelCounts: readLabelCounts(raw),
    };
  }

  async getMetrics(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<NyckelMetrics> {
    const path = `/v0.9/functions/${encodeURIComponent(stripPrefix(functionId))}/metrics`;
    const res = await this.#getJson(path, undefined, signal, budgetClass);
    const raw = res.body;
    if (!isRecord(raw)) {
      return { raw, isTraining: null, sampleCount: null, annotatedSampleCount: null, predictionCount: null, annotatedLabelCount: null, modelId: null };
    }
    const labelCounts = raw.annotatedLabelCounts;
    return {
      raw,
      isTraining: typeof raw.isTraining === "boolean" ? raw.isTraining : null,
      sampleCount: pickNumber(raw, ["sampleCount"]),
      annotatedSampleCount: pickNumber(raw, ["annotatedSampleCount"]),
      predictionCount: pickNumber(raw, ["predictionCount"]),
      annotatedLabelCount: Array.isArray(labelCounts)
        ? labelCounts.length
        : isRecord(labelCounts)
          ? Object.keys(labelCounts).length
          : null,
      modelId: readModelId(raw),
    };
  }

  /**
   * The model Nyckel currently serves as "latest", from `GET /v0.9/functions/{id}/metrics`
   * (field name undocumented: read tolerantly). `null` when the endpoint answers 404 or
   * carries no model id — "unknown", not an error.
   */
  async getCurrentModelId(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<string | null> {
    try {
      return (await this.getMetrics(functionId, signal, budgetClass)).modelId;
    } catch (error) {
      if (error instanceof NyckelError && error.code === "not_found") return null;
      throw error;
    }
  }

  /** Fetches a token and lists functions; throws a typed `NyckelError` on failure. */
  async testConnection(signal?: AbortSignal): Promise<{ ok: true; functionCount: number }> {
    this.#token = null; // prove the credentials now, not with a cached token
    await this.#getToken();
    const functions = await this.listFunctions({ signal });
    return { ok: true, functionCount: functions.length };
  }

  /** The cached access token (fetched once for concurrent callers), for pass-through requests (passthrough.ts). */
  accessToken(budgetClass: BudgetClass = "serving"): Promise<string> {
    return this.#getToken(budgetClass);
  }

  /** Forgets `token` if it is the cached one (Nyckel answered 401 to it). */
  dropAccessToken(token: string): void {
    this.#dropToken(token);
  }
}

function toFunction(data: z.infer<typeof functionSchema>, raw: Record<string, unknown>): NyckelFunction {
  return { id: data.id, name: data.name ?? null, input: data.input ?? null, output: data.output ?? null, raw };
}

const MODEL_ID_FIELDS = ["modelId", "currentModelId", "latestModelId", "activeModelId", "deployedModelId", "servingModelId"];
const MODEL_OBJECT_FIELDS = ["model", "currentModel", "latestModel", "activeModel", "deployedModel"];

/** Reads the current model id from a metrics body, whatever the field is called. */
export function readModelId(raw: Record<string, unknown>): string | null {
  const direct = pickString(raw, MODEL_ID_FIELDS);
  if (direct) return direct;
  for (const name of MODEL_OBJECT_FIELDS) {
    const nested = raw[name];
    if (typeof nested === "string" && nested.trim() !== "") return nested;
    if (isRecord(nested)) {
      const id = pickString(nested, ["id", "modelId"]);
      if (id) return id;
    }
  }
  return null;
}

function readLabelCounts(raw: Record<string, unknown>): NyckelSummary["labelCounts"] {
  for (const name of ["labelCounts", "labels", "perLabel", "annotatedLabelCounts", "labelSampleCounts"]) {
    const value = raw[name];
    if (Array.isArray(value)) {
      return value.flatMap((item) => {
        if (!isRecord(item)) return [];
        const count = pickNumber(item, ["count", "annotatedCount", "sampleCount", "annotatedSampleCount"]);
        if (count === null) return [];
        return [{ labelId: pickString(item, ["labelId", "id"]), labelName: pickString(item, ["labelName", "name"]), count }];
      });
    }
    if (isRecord(value)) {
      return Object.entries(value).flatMap(([key, count]) =>
        typeof count === "number" ? [{ labelId: key.startsWith("label_") ? key : null, labelName: key.startsWith("label_") ? null : key, count }] : [],
      );
    }
  }
  return null;
}
