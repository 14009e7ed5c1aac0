/**
 * The HTTP side of the Nyckel client (client.ts): tokens, permits, retries, errors.
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
 * - The client secret and bearer tokens never appear in errors or log lines.
 */
import { NyckelError, codeForStatus, redactSecrets, type NyckelErrorCode } from "./errors";
import { RateLimiter, getSharedLimiter, type RateLimitOptions } from "./limiter";
import { extractMessage, isRecord, listItems, parseJson, parseNextLink, parseRetryAfter, tokenSchema } from "./parse";
import type { BudgetClass } from "./budget/stats";
import type { ListOptions, NyckelClientOptions, NyckelLogger, NyckelPermits } from "./client";

const DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 4,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
} as const;

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const DEFAULT_TOKEN_LIFETIME_S = 3600;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method: "GET" | "POST";
  /** Path starting with `/` (appended to the base URL), or an absolute same-origin URL. */
  path: string;
  query?: Query;
  body?: string | FormData | URLSearchParams;
  contentType?: string;
  auth: boolean;
  signal?: AbortSignal;
  budgetClass?: BudgetClass;
  /** Token requests classify 400/401 `invalid_client` as bad credentials. */
  isTokenRequest?: boolean;
}

export interface HttpResult {
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

export class NyckelTransport {
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
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#permits = options.permits ?? null;
    if (options.permits) this.#limiter = null;
    else if (options.limiter) this.#limiter = options.limiter;
    else if (options.rateLimit === false) this.#limiter = null;
    else this.#limiter = getSharedLimiter(this.baseUrl, this.clientId, options.rateLimit ?? {});
  }

  get permits(): NyckelPermits | null {
    return this.#permits;
  }

  get rateLimits(): Required<RateLimitOptions> | null {
    return this.#limiter?.limits ?? null;
  }

  /** Never print the secret, even by accident (`console.log`, JSON). */
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl, clientId: this.clientId };
  }

  // ---- auth ---------------------------------------------------------------

  async getToken(budgetClass: BudgetClass = "interactive"): Promise<string> {
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

  /** Forgets the cached token, so the next request proves the credentials again. */
  forgetToken(): void {
    this.#token = null;
  }

  async #fetchToken(budgetClass: BudgetClass): Promise<string> {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.clientId,
      client_secret: this.#clientSecret,
    });
    const res = await this.request({
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

  dropToken(value: string): void {
    if (this.#token?.value === value) this.#token = null;
  }

  // ---- transport ----------------------------------------------------------

  #url(path: string, query?: Query): URL {
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

  async request(spec: RequestSpec): Promise<HttpResult> {
    const url = this.#url(spec.path, spec.query);
    const path = url.pathname;
    let attempts = 0;
    let retries = 0;
    let refreshedAfter401 = false;

    for (;;) {
      const token = spec.auth ? await this.getToken(spec.budgetClass) : null;
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
          this.dropToken(token);
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

  async getJson(path: string, query?: Query, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<HttpResult> {
    return this.request({ method: "GET", path, query, auth: true, signal, budgetClass });
  }

  /** GETs a list, following `Link: <…>; rel="next"` (host-relative or same-origin absolute). */
  async getAll(path: string, options: ListOptions = {}): Promise<unknown[]> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let next: string | null = path;
    let query: Query | undefined = options.pageSize ? { batchSize: options.pageSize } : undefined;
    for (let page = 0; next !== null; page++) {
      if (page >= 10_000 || seen.has(next)) {
        throw new NyckelError("invalid_response", `Pagination of ${path} does not end`, { method: "GET", path });
      }
      seen.add(next);
      const res = await this.getJson(next, query, options.signal, options.budgetClass);
      query = undefined; // the next link carries its own query string
      const list = listItems(res.body);
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
}
