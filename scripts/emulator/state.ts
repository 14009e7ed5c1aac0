/**
 * In-memory state of one emulator instance: functions, models, captured samples,
 * tokens, faults, limits, counters and the invoke log. The HTTP layer (server.ts) and
 * tests (through `handle.state`) use the same object.
 */
import { randomBytes, createHmac } from "node:crypto";
import {
  SEED,
  deterministicId,
  fieldIdFor,
  functionIdFor,
  labelIdFor,
  modelIdFor,
  type InputModality,
} from "./seed";
import { SlidingWindowLimit, type EmulatorRateLimit } from "./rate-window";
import { bump, emptyCounters, snapshotCounters, type EmulatorCounters } from "./counters";
import { decideFault, type EmulatorFaults, type FaultDecision } from "./faults";

export const DEFAULT_CLIENT_ID = "modelpin-emulator";
export const DEFAULT_CLIENT_SECRET = "modelpin-emulator-secret";
export const DEFAULT_RATE_LIMIT: EmulatorRateLimit = { perSecond: 25, concurrency: 25 };

export interface EmuLabel {
  id: string;
  name: string;
  description?: string;
  metadata?: Record<string, string>;
  keywords?: readonly string[];
  trainingCount: number;
}

export interface EmuField {
  id: string;
  name: string;
  type: "Text" | "Number";
}

export interface EmuModel {
  id: string;
  index: number;
  createdAt: string;
  flipShare: number;
  addedAtRuntime: boolean;
  /** Added with `latest: false`: an older model that answers when pinned but never becomes "latest". */
  sideModel?: boolean;
  /** A side model forgotten at run time: Nyckel no longer knows the id (it keeps its place in the chain). */
  forgotten?: boolean;
}

export interface EmuSample {
  id: string;
  data: unknown;
  externalId: string | null;
  prediction: { labelId: string; confidence: number };
  modelId: string;
  createdAt: string;
  origin: "InvokeCapture";
}

export interface EmuFunction {
  key: string;
  id: string;
  name: string;
  input: InputModality;
  output: "Classification";
  createdAt: string;
  labels: EmuLabel[];
  fields: EmuField[];
  models: EmuModel[];
  /** Captured invokes by sample id (one per distinct input: Nyckel refuses duplicate samples). */
  samples: Map<string, EmuSample>;
}

export interface InvokeLogEntry {
  seq: number;
  /** When the entry was logged (the answer was decided). */
  at: string;
  /** When the request arrived (before any injected latency). */
  receivedAt: string;
  method: string;
  path: string;
  /** The function id as it appeared in the path (bare or prefixed). */
  functionIdParam: string;
  /** The resolved, prefixed function id; null when unknown. */
  functionId: string | null;
  /** Every query parameter as received. */
  query: Record<string, string>;
  /** The `modelId` query parameter as received; null when absent. */
  modelIdParam: string | null;
  /** The model that answered; null when the request failed before that. */
  modelIdUsed: string | null;
  bodyKind: "json" | "multipart" | "form" | "other" | "none";
  inputKind: "text" | "image" | "imageUrl" | "tabular" | null;
  status: number;
  labelName: string | null;
  externalId: string | null;
  /** `inputDigest()` of the input (models.ts); null when the body could not be read. */
  inputDigest: string | null;
}

export interface EmulatorStateOptions {
  /** Default modelpin-emulator / modelpin-emulator-secret. */
  clientId?: string;
  clientSecret?: string;
  /** Default 25 requests per second and 25 concurrent; `false` = no limits. */
  rateLimit?: EmulatorRateLimit | false;
  faults?: EmulatorFaults;
  /** Token lifetime (`expires_in`). Default 3600 s. */
  tokenTtlSeconds?: number;
  /** Invoke requests kept in the log. Default 200. */
  invokeLogSize?: number;
  /** Captured samples kept per function (oldest dropped first). Default 5000. */
  maxSamplesPerFunction?: number;
  /**
   * false: `/v0.9/functions/{id}/metrics` carries no `modelId`, as a Nyckel that does not report its
   * current model (the field is undocumented). Default true. `PUT /_emulator/model-id` changes it.
   */
  reportCurrentModelId?: boolean;
}

export class EmulatorState {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenTtlSeconds: number;
  readonly limit: SlidingWindowLimit;
  private readonly initialRateLimit: EmulatorRateLimit | false;
  private readonly initialFaults: EmulatorFaults;
  private readonly invokeLogSize: number;
  private readonly maxSamples: number;
  private readonly initialReportModelId: boolean;
  /** Whether the metrics endpoint reports the current model id (see EmulatorStateOptions). */
  reportCurrentModelId = true;
  private readonly tokenKey = randomBytes(32);
  private functionsById = new Map<string, EmuFunction>();
  private tokens = new Map<string, { expiresAt: number }>();
  private faultConfig: EmulatorFaults = {};
  private log: InvokeLogEntry[] = [];
  private seq = 0;
  private c = emptyCounters();

  constructor(options: EmulatorStateOptions = {}) {
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.initialRateLimit = options.rateLimit === undefined ? { ...DEFAULT_RATE_LIMIT } : options.rateLimit;
    this.initialFaults = structuredClone(options.faults ?? {});
    this.invokeLogSize = options.invokeLogSize ?? 200;
    this.maxSamples = options.maxSamplesPerFunction ?? 5000;
    this.initialReportModelId = options.reportCurrentModelId ?? true;
    this.limit = new SlidingWindowLimit(this.initialRateLimit);
    this.reset();
  }

  // ---- functions and models ----------------------------------------------

  private seedFunctions(): void {
    this.functionsById = new Map();
    for (const seed of SEED) {
      const id = functionIdFor(seed.key);
      const fn: EmuFunction = {
        key: seed.key,
        id,
        name: seed.name,
        input: seed.input,
        output: seed.output,
        createdAt: seed.createdAt,
        labels: seed.labels.map((label) => ({
          id: labelIdFor(id, label.name),
          name: label.name,
          description: label.description,
          metadata: label.metadata,
          keywords: label.keywords,
          trainingCount: label.trainingCount,
        })),
        fields: (seed.fields ?? []).map((field) => ({ id: fieldIdFor(id, field.name), ...field })),
        models: seed.models.map((model, index) => ({
          id: modelIdFor(id, index),
          index,
          createdAt: model.createdAt,
          flipShare: model.flipShare,
          addedAtRuntime: false,
        })),
        samples: new Map(),
      };
      this.functionsById.set(id, fn);
    }
  }

  get functions(): EmuFunction[] {
    return [...this.functionsById.values()];
  }

  /** Finds a function by prefixed or bare id. */
  findFunction(id: string): EmuFunction | undefined {
    const direct = this.functionsById.get(id);
    if (direct) return direct;
    return this.functionsById.get(`function_${id}`);
  }

  /** Finds a model of `fn` by prefixed or bare id. */
  findModel(fn: EmuFunction, modelId: string): EmuModel | undefined {
    return fn.models.find((model) => !model.forgotten && (model.id === modelId || model.id === `model_${modelId}`));
  }

  /** Forgets a side model (added with `latest: false`): invokes pinned to it are then refused like any unknown id. */
  forgetSideModel(fn: EmuFunction, modelId: string): EmuModel {
    const model = this.findModel(fn, modelId);
    if (!model) throw new RangeError(`Model '${modelId}' not found for function '${fn.id}'`);
    if (!model.sideModel) throw new TypeError(`Only models added with latest: false can be forgotten; '${model.id}' is not one`);
    model.forgotten = true;
    return model;
  }

  /** The newest model that is not a side model (side models never become "latest"). */
  latestModel(fn: EmuFunction): EmuModel {
    return fn.models.findLast((model) => !model.sideModel) as EmuModel;
  }

  /**
   * Adds a model version to a function (simulates Nyckel retraining): it becomes
   * "latest". `flipShare` (default 0.1) is the share of inputs whose top label changes
   * versus the previous latest model. With `latest: false` it is a side model: it answers
   * when pinned (it branches off the current latest) but "latest", the reported current
   * model and every later model's answers stay as they were.
   */
  addModel(functionId: string, options: { modelId?: string; flipShare?: number; createdAt?: string; latest?: boolean } = {}): EmuModel {
    const fn = this.findFunction(functionId);
    if (!fn) throw new RangeError(`Function '${functionId}' not found`);
    const flipShare = options.flipShare ?? 0.1;
    if (!(flipShare >= 0 && flipShare <= 1)) throw new RangeError("flipShare must be between 0 and 1");
    const index = fn.models.length;
    const id = options.modelId?.trim() || modelIdFor(fn.id, index);
    if (this.functions.some((f) => f.models.some((m) => m.id === id))) {
      throw new RangeError(`Model '${id}' already exists`);
    }
    const model: EmuModel = {
      id,
      index,
      createdAt: options.createdAt ?? new Date().toISOString(),
      flipShare,
      addedAtRuntime: true,
      ...(options.latest === false ? { sideModel: true } : {}),
    };
    fn.models.push(model);
    return model;
  }

  captureSample(fn: EmuFunction, inputKey: string, sample: Omit<EmuSample, "id" | "createdAt" | "origin">): EmuSample {
    const id = `sample_${deterministicId(`${fn.id}:sample:${inputKey}`)}`;
    const existing = fn.samples.get(id);
    const stored: EmuSample = {
      ...sample,
      id,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
      origin: "InvokeCapture",
    };
    fn.samples.delete(id);
    fn.samples.set(id, stored);
    while (fn.samples.size > this.maxSamples) {
      const oldest = fn.samples.keys().next().value;
      if (oldest === undefined) break;
      fn.samples.delete(oldest);
    }
    return stored;
  }

  // ---- tokens ---------------------------------------------------------------

  checkCredentials(clientId: string, clientSecret: string): boolean {
    return clientId === this.clientId && clientSecret === this.clientSecret;
  }

  /** Issues a JWT-shaped bearer token (HS256 over a per-instance random key). */
  issueToken(): { token: string; expiresIn: number } {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const header = b64({ alg: "HS256", typ: "JWT" });
    const payload = b64({
      iss: "modelpin-emulator",
      client_id: this.clientId,
      iat: now,
      exp: now + this.tokenTtlSeconds,
      jti: randomBytes(12).toString("hex"),
    });
    const signature = createHmac("sha256", this.tokenKey).update(`${header}.${payload}`).digest("base64url");
    const token = `${header}.${payload}.${signature}`;
    this.tokens.set(token, { expiresAt: Date.now() + this.tokenTtlSeconds * 1000 });
    this.c.tokensIssued++;
    // Forget expired tokens now and then so a long-running emulator does not grow.
    if (this.tokens.size > 1000) {
      for (const [value, info] of this.tokens) if (info.expiresAt <= Date.now()) this.tokens.delete(value);
    }
    return { token, expiresIn: this.tokenTtlSeconds };
  }

  checkToken(token: string): "valid" | "expired" | "invalid" {
    const info = this.tokens.get(token);
    if (!info) return "invalid";
    if (info.expiresAt <= Date.now()) return "expired";
    return "valid";
  }

  /** Makes every issued token invalid (clients must fetch a new one). */
  revokeTokens(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    return count;
  }

  // ---- faults and limits --------------------------------------------------------

  get faults(): EmulatorFaults {
    return structuredClone(this.faultConfig);
  }

  setFaults(faults: EmulatorFaults): void {
    this.faultConfig = structuredClone(faults);
  }

  clearFaults(): void {
    this.faultConfig = {};
  }

  get rateLimit(): EmulatorRateLimit | false {
    const config = this.limit.config;
    return config ? { ...config } : false;
  }

  setRateLimit(limit: EmulatorRateLimit | false): void {
    this.limit.setLimits(limit ? { ...limit } : false);
  }

  /** Decides the fault for one API request (consumes a `next` step when one applies). */
  decideFault(path: string): FaultDecision {
    return decideFault(this.faultConfig, path, this.c.injected);
  }

  // ---- counters and log ------------------------------------------------------

  countRequest(route: string, path: string): void {
    this.c.requests++;
    bump(this.c.byRoute, route);
    bump(this.c.byPath, path);
  }

  countStatus(status: number): void {
    bump(this.c.byStatus, String(status));
  }

  countRateLimited(reason: "rate" | "concurrency"): void {
    this.c.rateLimited.total++;
    this.c.rateLimited[reason]++;
  }

  countTokenRejected(): void {
    this.c.tokenRequestsRejected++;
  }

  countUnauthorized(): void {
    this.c.unauthorized++;
  }

  /** Records one invoke request (any outcome) in the counters and the log. */
  recordInvoke(entry: Omit<InvokeLogEntry, "seq" | "at" | "receivedAt"> & { receivedAt?: string }): void {
    this.c.invokes++;
    const key = entry.functionId ?? `(unknown) ${entry.functionIdParam}`;
    let perFunction = this.c.invokesByFunction.get(key);
    if (!perFunction) {
      perFunction = { total: 0, received: new Map(), used: new Map() };
      this.c.invokesByFunction.set(key, perFunction);
    }
    perFunction.total++;
    const received = entry.modelIdParam === null ? "(absent)" : entry.modelIdParam === "" ? "(empty)" : entry.modelIdParam;
    bump(perFunction.received, received);
    if (entry.modelIdUsed) bump(perFunction.used, entry.modelIdUsed);
    const at = new Date().toISOString();
    this.log.push({ ...entry, seq: ++this.seq, at, receivedAt: entry.receivedAt ?? at });
    if (this.log.length > this.invokeLogSize) this.log.splice(0, this.log.length - this.invokeLogSize);
  }

  /** The last `limit` invoke requests, oldest first. */
  recentInvokes(limit = this.invokeLogSize): InvokeLogEntry[] {
    return this.log.slice(-Math.max(0, limit)).map((entry) => ({ ...entry, query: { ...entry.query } }));
  }

  counters(): EmulatorCounters {
    return snapshotCounters(this.c, this.limit);
  }

  /** Clears counters and the invoke log only. */
  resetCounters(): void {
    this.c = emptyCounters();
    this.log = [];
    this.limit.resetStats();
  }

  /**
   * Back to the start state: seeded functions and models only (runtime models dropped),
   * no captured samples, start-up faults and limits, zero counters, empty log.
   * Issued tokens stay valid (use revokeTokens() for that).
   */
  reset(): void {
    this.seedFunctions();
    this.faultConfig = structuredClone(this.initialFaults);
    this.reportCurrentModelId = this.initialReportModelId;
    this.limit.setLimits(this.initialRateLimit ? { ...this.initialRateLimit } : false);
    this.resetCounters();
  }

  /** A plain description of the seeded (and runtime-added) functions and models. */
  describeFunctions(): Array<{
    id: string;
    name: string;
    input: InputModality;
    output: string;
    labels: Array<{ id: string; name: string }>;
    fields: EmuField[];
    models: Array<{ id: string; index: number; createdAt: string; flipShare: number; addedAtRuntime: boolean; latest: boolean }>;
    latestModelId: string;
    capturedSamples: number;
  }> {
    return this.functions.map((fn) => ({
      id: fn.id,
      name: fn.name,
      input: fn.input,
      output: fn.output,
      labels: fn.labels.map((label) => ({ id: label.id, name: label.name })),
      fields: fn.fields.map((field) => ({ ...field })),
      models: fn.models.map((model) => ({ ...model, latest: model === this.latestModel(fn) })),
      latestModelId: this.latestModel(fn).id,
      capturedSamples: fn.samples.size,
    }));
  }
}
