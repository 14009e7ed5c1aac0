/**
 * Nyckel HTTP client (see ../../docs/nyckel-emulator.md and the shared nyckel-api.md): the
 * endpoints Modelpin calls. How requests travel (tokens, the Nyckel budget or a limiter,
 * retries, redaction) is transport.ts; reading the answers is parse.ts.
 *
 * - Ids are accepted with or without their prefix (`function_abc` or `abc`) and are
 *   sent to Nyckel BARE (prefix stripped), as the official Python SDK does (ids.ts). Model
 *   ids are sent exactly as given (their format is not documented).
 * - The client secret and bearer tokens never appear in errors or log lines.
 *
 * Reads no environment variables: the app's config module passes everything in.
 */
import { NyckelError } from "./errors";
import { stripPrefix } from "./ids";
import type { RateLimiter, RateLimitOptions } from "./limiter";
import { parseField, parseFunction, parseInvokeOutput, parseLabel, parseMetrics, parseSummary } from "./parse";
import { NyckelTransport, type Query } from "./transport";
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
// Request bodies

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/jpg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/bmp": "bmp",
};

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** The invoke request body: JSON `{"data": …}`, or multipart for images that ask for it. */
function invokeBody(input: InvokeInput): { body: string | FormData; contentType: string | undefined } {
  switch (input.kind) {
    case "text":
      if (typeof input.text !== "string") throw new NyckelError("bad_request", "Text input must be a string");
      return { body: JSON.stringify({ data: input.text }), contentType: "application/json" };
    case "imageUrl":
      if (!/^https?:\/\//i.test(input.url)) {
        throw new NyckelError("bad_request", "Image URLs must start with http:// or https://");
      }
      return { body: JSON.stringify({ data: input.url }), contentType: "application/json" };
    case "tabular":
      return { body: JSON.stringify({ data: input.fields }), contentType: "application/json" };
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
        return { body: form, contentType: undefined }; // fetch sets the multipart boundary
      }
      return { body: JSON.stringify({ data: `data:${mimeType};base64,${toBase64(input.bytes)}` }), contentType: "application/json" };
    }
    default: {
      const never: never = input;
      throw new NyckelError("bad_request", `Unknown input kind ${(never as { kind: string }).kind}`);
    }
  }
}

function functionPath(functionId: string, rest = ""): string {
  return `/v1/functions/${encodeURIComponent(stripPrefix(functionId))}${rest}`;
}

export class NyckelClient {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly passthroughAgents: PassthroughAgents | null;
  readonly #http: NyckelTransport;

  constructor(options: NyckelClientOptions) {
    this.#http = new NyckelTransport(options);
    this.baseUrl = this.#http.baseUrl;
    this.clientId = this.#http.clientId;
    this.passthroughAgents = options.passthroughAgents ?? null;
  }

  /** The permits this client takes (the Nyckel budget), or null when it uses a limiter or none. */
  get permits(): NyckelPermits | null {
    return this.#http.permits;
  }

  /** The limits of this client's limiter (shared per account), or null when it has none. */
  get rateLimits(): Required<RateLimitOptions> | null {
    return this.#http.rateLimits;
  }

  /** Never print the secret, even by accident (`console.log(client)`, JSON). */
  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl, clientId: this.clientId };
  }

  async invoke(functionId: string, input: InvokeInput, options: InvokeOptions = {}): Promise<InvokeResult> {
    const started = performance.now();
    const path = functionPath(functionId, "/invoke");
    if (options.labelCount !== undefined && (!Number.isInteger(options.labelCount) || options.labelCount < 1)) {
      throw new NyckelError("bad_request", "labelCount must be a positive integer");
    }
    const query: Query = {
      modelId: options.modelId ? options.modelId : undefined,
      labelCount: options.labelCount,
      includeMetadata: options.includeMetadata,
      capture: options.capture,
      externalId: options.externalId,
    };
    // Build the body before taking a limiter slot, so the request leaves right away.
    const { body, contentType } = invokeBody(input);
    const res = await this.#http.request({ method: "POST", path, query, body, contentType, auth: true, signal: options.signal, budgetClass: options.budgetClass });
    const output = parseInvokeOutput(res.body);
    if (!output) {
      throw new NyckelError("invalid_response", `Nyckel's invoke answer has no label and confidence (POST ${path})`, {
        status: res.status,
        method: "POST",
        path,
        attempts: res.attempts,
      });
    }
    return { output, latencyMs: res.latencyMs, totalMs: performance.now() - started, attempts: res.attempts, raw: res.body };
  }

  async listFunctions(options: ListOptions = {}): Promise<NyckelFunction[]> {
    const items = await this.#http.getAll("/v1/functions", options);
    return items.flatMap((item) => parseFunction(item) ?? []);
  }

  async getFunction(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<NyckelFunction> {
    const path = functionPath(functionId);
    const res = await this.#http.getJson(path, undefined, signal, budgetClass);
    const fn = parseFunction(res.body);
    if (!fn) {
      throw new NyckelError("invalid_response", `Expected a function object from GET ${path}`, {
        status: res.status,
        method: "GET",
        path,
      });
    }
    return fn;
  }

  async listLabels(functionId: string, options: ListOptions = {}): Promise<NyckelLabel[]> {
    const items = await this.#http.getAll(functionPath(functionId, "/labels"), options);
    return items.flatMap((item) => parseLabel(item) ?? []);
  }

  /** A tabular function's input fields (name and type: Number, Text or Image). */
  async listFields(functionId: string, options: ListOptions = {}): Promise<Array<{ id: string | null; name: string; type: string }>> {
    const items = await this.#http.getAll(functionPath(functionId, "/fields"), options);
    return items.flatMap((item) => parseField(item) ?? []);
  }

  async getSummary(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<NyckelSummary> {
    const res = await this.#http.getJson(functionPath(functionId, "/summary"), undefined, signal, budgetClass);
    return parseSummary(res.body);
  }

  async getMetrics(functionId: string, signal?: AbortSignal, budgetClass?: BudgetClass): Promise<NyckelMetrics> {
    const path = `/v0.9/functions/${encodeURIComponent(stripPrefix(functionId))}/metrics`;
    const res = await this.#http.getJson(path, undefined, signal, budgetClass);
    return parseMetrics(res.body);
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
    this.#http.forgetToken(); // prove the credentials now, not with a cached token
    await this.#http.getToken();
    const functions = await this.listFunctions({ signal });
    return { ok: true, functionCount: functions.length };
  }

  /** The cached access token (fetched once for concurrent callers), for pass-through requests (passthrough.ts). */
  accessToken(budgetClass: BudgetClass = "serving"): Promise<string> {
    return this.#http.getToken(budgetClass);
  }

  /** Forgets `token` if it is the cached one (Nyckel answered 401 to it). */
  dropAccessToken(token: string): void {
    this.#http.dropToken(token);
  }
}
