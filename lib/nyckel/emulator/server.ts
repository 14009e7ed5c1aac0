/**
 * A Nyckel-compatible HTTP server for development and tests (node:http only).
 * Endpoints, choices and control API: docs/nyckel-emulator.md.
 *
 *   const emu = await startEmulator({ port: 0, quiet: true });
 *   // emu.url → "http://127.0.0.1:54321"; emu.state → EmulatorState; await emu.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { inputDigest, inputKey, predict, type EmulatorInput } from "./models";
import type { EmulatorRateLimit } from "./rate-window";
import { EmulatorState, type EmuFunction, type EmulatorFaults, type InvokeLogEntry } from "./state";

export interface EmulatorOptions {
  /** 0 (default) = a free random port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** Default 25 requests per second and 25 concurrent; `false` = no limits. */
  rateLimit?: EmulatorRateLimit | false;
  faults?: EmulatorFaults;
  /** Token lifetime (`expires_in`). Default 3600 s. */
  tokenTtlSeconds?: number;
  /** Invoke requests kept in the log. Default 200. */
  invokeLogSize?: number;
  /** Do not print the start-up banner. */
  quiet?: boolean;
  /** Where the banner goes. Default console.log. */
  print?: (text: string) => void;
}

export interface EmulatorHandle {
  url: string;
  port: number;
  state: EmulatorState;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 20 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  state?: EmulatorState,
): void {
  state?.countStatus(status);
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    let ended = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      ended = true;
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (error) => {
      if (!failed) reject(error);
    });
    // A client that goes away before sending the whole body: never "end".
    req.on("close", () => {
      if (!ended && !failed) {
        failed = true;
        reject(new HttpError(400, "The client closed the connection before sending the whole body"));
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

async function parseMultipart(req: IncomingMessage, body: Buffer): Promise<FormData> {
  try {
    const request = new Request("http://emulator.invalid/", {
      method: "POST",
      headers: { "content-type": req.headers["content-type"] ?? "" },
      body: new Uint8Array(body),
    });
    return await request.formData();
  } catch {
    throw new HttpError(400, "Malformed multipart/form-data body");
  }
}

function parseBoolean(name: string, value: string | null): boolean | undefined {
  if (value === null || value === "") return undefined;
  const v = value.toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new HttpError(400, `Query parameter '${name}' must be true or false`);
}

function parseNonNegativeInt(name: string, value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw new HttpError(400, `Query parameter '${name}' must be a non-negative integer`);
  return Number(value);
}

/** Decodes a `data:` URI; throws a 400 for anything malformed or empty. */
function decodeDataUri(uri: string): { mimeType: string; bytes: Uint8Array } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(uri);
  if (!match) throw new HttpError(400, "Malformed data URI");
  const mimeType = match[1] || "application/octet-stream";
  const isBase64 = (match[2] ?? "").split(";").some((p) => p.trim().toLowerCase() === "base64");
  const payload = match[3] ?? "";
  let bytes: Buffer;
  if (isBase64) {
    const compact = payload.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw new HttpError(400, "Malformed base64 in data URI");
    bytes = Buffer.from(compact, "base64");
  } else {
    try {
      bytes = Buffer.from(decodeURIComponent(payload), "utf8");
    } catch {
      throw new HttpError(400, "Malformed data URI");
    }
  }
  if (bytes.length === 0) throw new HttpError(400, "The data URI holds no data");
  return { mimeType, bytes: new Uint8Array(bytes) };
}

const IMAGE_HINT = "Image functions take a data URI (data:image/...;base64,...), an http(s) URL, or a multipart part 'data'";

/** Turns a request's `data` into a model input for this function's input modality. */
function toInput(fn: EmuFunction, data: unknown): EmulatorInput {
  if (data === undefined || data === null) throw new HttpError(400, "The request has no 'data'");
  switch (fn.input) {
    case "Text":
      if (typeof data !== "string") throw new HttpError(400, "Text functions take a JSON string in 'data'");
      if (data.trim() === "") throw new HttpError(400, "The text input is empty");
      return { kind: "text", text: data };
    case "Image":
      if (data instanceof Uint8Array) {
        if (data.length === 0) throw new HttpError(400, "The image part is empty");
        return { kind: "image", bytes: data, mimeType: "application/octet-stream" };
      }
      if (typeof data !== "string") throw new HttpError(400, IMAGE_HINT);
      if (data.startsWith("data:")) {
        const { mimeType, bytes } = decodeDataUri(data);
        return { kind: "image", bytes, mimeType };
      }
      if (/^https?:\/\/\S+$/i.test(data)) return { kind: "imageUrl", url: data };
      throw new HttpError(400, IMAGE_HINT);
    case "Tabular": {
      if (typeof data !== "object" || Array.isArray(data) || data instanceof Uint8Array) {
        throw new HttpError(400, "Tabular functions take a JSON object in 'data' ({\"field\": value, ...})");
      }
      const fields: Record<string, string | number> = {};
      const entries = Object.entries(data as Record<string, unknown>);
      if (entries.length === 0) throw new HttpError(400, "The tabular input has no fields");
      for (const [key, value] of entries) {
        const field = fn.fields.find((f) => f.name === key || f.id === key || f.id === `field_${key}`);
        if (!field) throw new HttpError(400, `Unknown field '${key}'`);
        if (field.type === "Number" && (typeof value !== "number" || !Number.isFinite(value))) {
          throw new HttpError(400, `Field '${field.name}' is a Number field and needs a JSON number`);
        }
        if (field.type === "Text" && typeof value !== "string") {
          throw new HttpError(400, `Field '${field.name}' is a Text field and needs a JSON string`);
        }
        fields[field.name] = value as string | number;
      }
      return { kind: "tabular", fields };
    }
  }
}

function storedData(fn: EmuFunction, input: EmulatorInput): unknown {
  switch (input.kind) {
    case "text":
      return input.text;
    case "imageUrl":
      return input.url;
    case "image":
      return `data:${input.mimeType};base64,${Buffer.from(input.bytes).toString("base64")}`;
    case "tabular":
      // Nyckel returns tabular sample data keyed by field id.
      return Object.fromEntries(
        Object.entries(input.fields).map(([name, value]) => [fn.fields.find((f) => f.name === name)?.id ?? name, value]),
      );
  }
}

function functionJson(fn: EmuFunction): Record<string, unknown> {
  return { id: fn.id, name: fn.name, input: fn.input, output: fn.output, createdAt: fn.createdAt };
}

/**
 * Sends one page of `items`. Page size from `batchSize` (or `count`), default 1000;
 * offset from `start` (or `startIndex`), default 0. When more items follow, a
 * host-relative `Link: </path?…&batchSize=N&start=M>; rel="next"` header is added.
 */
function sendPage(res: ServerResponse, url: URL, items: unknown[], state: EmulatorState): void {
  const size = parseNonNegativeInt("batchSize", url.searchParams.get("batchSize") ?? url.searchParams.get("count")) ?? 1000;
  if (size < 1) throw new HttpError(400, "batchSize must be at least 1");
  const start = parseNonNegativeInt("start", url.searchParams.get("start") ?? url.searchParams.get("startIndex")) ?? 0;
  const page = items.slice(start, start + size);
  const headers: Record<string, string> = {};
  if (start + size < items.length) {
    const next = new URLSearchParams(url.searchParams);
    next.delete("count");
    next.delete("startIndex");
    next.set("batchSize", String(size));
    next.set("start", String(start + size));
    headers.Link = `<${url.pathname}?${next.toString()}>; rel="next"`;
  }
  sendJson(res, 200, page, headers, state);
}

// ---------------------------------------------------------------------------
// Routing

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  state: EmulatorState;
  /** Arrival time (ISO), before any injected latency. */
  receivedAt: string;
  /**
   * The request body, read from the moment the request was admitted, so a request
   * whose client disconnects during injected latency is still handled (and logged),
   * as a real server that had received it would.
   */
  body: Promise<Buffer>;
}

type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  pattern: string;
  auth: boolean;
  handler: Handler;
}

function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] as string;
    const seg = s[i] as string;
    if (part.startsWith(":")) {
      try {
        params[part.slice(1)] = decodeURIComponent(seg);
      } catch {
        return null;
      }
    } else if (part !== seg) return null;
  }
  return params;
}

function requireFunction(ctx: Ctx): EmuFunction {
  const id = ctx.params.functionId ?? "";
  const fn = ctx.state.findFunction(id);
  if (!fn) throw new HttpError(404, `Function '${id}' not found`);
  return fn;
}

function labelJson(label: EmuFunction["labels"][number]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: label.id, name: label.name };
  if (label.description !== undefined) out.description = label.description;
  if (label.metadata !== undefined) out.metadata = label.metadata;
  return out;
}

function sampleCounts(fn: EmuFunction) {
  const annotated = fn.labels.reduce((sum, label) => sum + label.trainingCount, 0);
  return { annotated, total: annotated + fn.samples.size };
}

async function handleToken(ctx: Ctx): Promise<void> {
  const { req, res, state } = ctx;
  const body = await ctx.body;
  const type = mediaType(req);
  if (type !== "application/x-www-form-urlencoded") {
    state.countTokenRejected();
    sendJson(res, 400, { error: "invalid_request", message: "The token request must be application/x-www-form-urlencoded" }, {}, state);
    return;
  }
  const form = new URLSearchParams(body.toString("utf8"));
  let clientId = form.get("client_id") ?? "";
  let clientSecret = form.get("client_secret") ?? "";
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? "", "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  const grantType = form.get("grant_type");
  if (grantType !== "client_credentials") {
    state.countTokenRejected();
    sendJson(res, 400, { error: "unsupported_grant_type", message: "grant_type must be client_credentials" }, {}, state);
    return;
  }
  if (!clientId || !clientSecret) {
    state.countTokenRejected();
    sendJson(res, 400, { error: "invalid_request", message: "client_id and client_secret are required" }, {}, state);
    return;
  }
  if (!state.checkCredentials(clientId, clientSecret)) {
    state.countTokenRejected();
    // Like IdentityServer (which serves Nyckel's /connect/token): 400 invalid_client;
    // 401 when the client authenticated with HTTP Basic (RFC 6749 §5.2).
    const status = basic ? 401 : 400;
    sendJson(
      res,
      status,
      { error: "invalid_client", message: "Invalid client credentials" },
      basic ? { "WWW-Authenticate": 'Basic realm="nyckel"' } : {},
      state,
    );
    return;
  }
  const { token, expiresIn } = state.issueToken();
  sendJson(
    res,
    200,
    { access_token: token, expires_in: expiresIn, token_type: "Bearer", scope: "api" },
    { "Cache-Control": "no-store", Pragma: "no-cache" },
    state,
  );
}

async function handleInvoke(ctx: Ctx): Promise<void> {
  const { req, res, url, state } = ctx;
  const query = Object.fromEntries(url.searchParams);
  const type = mediaType(req);
  const entry: Omit<InvokeLogEntry, "seq" | "at"> = {
    receivedAt: ctx.receivedAt,
    method: req.method ?? "POST",
    path: url.pathname,
    functionIdParam: ctx.params.functionId ?? "",
    functionId: null,
    query,
    modelIdParam: url.searchParams.get("modelId"),
    modelIdUsed: null,
    bodyKind:
      type === "multipart/form-data"
        ? "multipart"
        : type === "application/json" || type.endsWith("+json")
          ? "json"
          : type === "application/x-www-form-urlencoded"
            ? "form"
            : type === ""
              ? "none"
              : "other",
    inputKind: null,
    status: 0,
    labelName: null,
    externalId: null,
    inputDigest: null,
  };
  try {
    const fn = requireFunction(ctx);
    entry.functionId = fn.id;
    const labelCount = parseNonNegativeInt("labelCount", url.searchParams.get("labelCount"));
    const includeMetadata = parseBoolean("includeMetadata", url.searchParams.get("includeMetadata")) ?? false;
    const capture = parseBoolean("capture", url.searchParams.get("capture")) ?? true;
    const modelParam = url.searchParams.get("modelId");
    // An empty modelId (the Python SDK always sends `modelId=`) means "latest".
    const model = modelParam ? state.findModel(fn, modelParam) : state.latestModel(fn);
    if (!model) throw new HttpError(400, `Model '${modelParam}' not found for function '${fn.id}'`);

    const raw = await ctx.body;
    let data: unknown;
    let bodyExternalId: string | undefined;
    let partMimeType: string | undefined;
    if (entry.bodyKind === "multipart") {
      const form = await parseMultipart(req, raw);
      const part = form.get("data");
      if (part === null) throw new HttpError(400, "The multipart body has no part named 'data'");
      if (typeof part === "string") {
        data = part;
      } else {
        const bytes = new Uint8Array(await part.arrayBuffer());
        data = fn.input === "Text" ? Buffer.from(bytes).toString("utf8") : bytes;
        if (part.type) partMimeType = part.type;
      }
      const ext = form.get("externalId");
      if (typeof ext === "string" && ext !== "") bodyExternalId = ext;
    } else if (entry.bodyKind === "json" || entry.bodyKind === "none") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new HttpError(400, "The request body is not valid JSON");
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new HttpError(400, 'The request body must be a JSON object like {"data": ...}');
      }
      const body = parsed as Record<string, unknown>;
      data = body.data;
      if (typeof body.externalId === "string" && body.externalId !== "") bodyExternalId = body.externalId;
    } else {
      throw new HttpError(415, `Unsupported content type '${type}': send application/json or multipart/form-data`);
    }

    const input = toInput(fn, data);
    if (input.kind === "image" && partMimeType) input.mimeType = partMimeType;
    entry.inputKind = input.kind;
    entry.inputDigest = inputDigest(input);
    entry.modelIdUsed = model.id;

    const prediction = predict(fn.id, fn.labels, fn.models, model.index, input);
    const top = fn.labels[prediction.top] as EmuFunction["labels"][number];
    const externalId = url.searchParams.get("externalId") || bodyExternalId;
    const output: Record<string, unknown> = {
      labelName: top.name,
      labelId: top.id,
      confidence: prediction.confidences[prediction.top],
    };
    if (labelCount !== undefined && labelCount > 0) {
      output.labelConfidences = fn.labels
        .map((label, i) => ({ labelName: label.name, labelId: label.id, confidence: prediction.confidences[i] as number }))
        .sort((a, b) => b.confidence - a.confidence)
        .slice(0, labelCount);
    }
    if (includeMetadata) output.labelMetadata = top.metadata ?? {};
    if (externalId) output.externalId = externalId;
    if (capture) {
      state.captureSample(fn, inputKey(input), {
        data: storedData(fn, input),
        externalId: externalId ?? null,
        prediction: { labelId: top.id, confidence: prediction.confidences[prediction.top] as number },
        modelId: model.id,
      });
    }
    entry.status = 200;
    entry.labelName = top.name;
    entry.externalId = externalId ?? null;
    sendJson(res, 200, output, { "X-Emulator-Model-Id": model.id }, state);
  } catch (error) {
    entry.status = error instanceof HttpError ? error.status : 500;
    throw error;
  } finally {
    state.recordInvoke(entry);
  }
}

const API_ROUTES: Route[] = [
  { method: "POST", pattern: "/connect/token", auth: false, handler: handleToken },
  {
    method: "GET",
    pattern: "/v1/functions",
    auth: true,
    handler: (ctx) => sendPage(ctx.res, ctx.url, ctx.state.functions.map(functionJson), ctx.state),
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId",
    auth: true,
    handler: (ctx) => sendJson(ctx.res, 200, functionJson(requireFunction(ctx)), {}, ctx.state),
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId/labels",
    auth: true,
    handler: (ctx) => sendPage(ctx.res, ctx.url, requireFunction(ctx).labels.map(labelJson), ctx.state),
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId/labels/:labelId",
    auth: true,
    handler: (ctx) => {
      const fn = requireFunction(ctx);
      const id = ctx.params.labelId ?? "";
      const label = fn.labels.find((l) => l.id === id || l.id === `label_${id}`);
      if (!label) throw new HttpError(404, `Label '${id}' not found`);
      sendJson(ctx.res, 200, labelJson(label), {}, ctx.state);
    },
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId/fields",
    auth: true,
    handler: (ctx) => sendPage(ctx.res, ctx.url, requireFunction(ctx).fields.map((f) => ({ ...f })), ctx.state),
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId/summary",
    auth: true,
    handler: (ctx) => {
      const fn = requireFunction(ctx);
      const counts = sampleCounts(fn);
      sendJson(
        ctx.res,
        200,
        {
          functionId: fn.id,
          sampleCount: counts.total,
          annotatedSampleCount: counts.annotated,
          capturedSampleCount: fn.samples.size,
          labelCounts: fn.labels.map((label) => ({ labelId: label.id, labelName: label.name, count: label.trainingCount })),
        },
        {},
        ctx.state,
      );
    },
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId/samples",
    auth: true,
    handler: (ctx) => {
      const fn = requireFunction(ctx);
      let samples = [...fn.samples.values()];
      const externalId = ctx.url.searchParams.get("externalId");
      if (externalId) samples = samples.filter((s) => s.externalId === externalId);
      if ((ctx.url.searchParams.get("sortOrder") ?? "").toLowerCase() === "descending") samples.reverse();
      sendPage(ctx.res, ctx.url, samples, ctx.state);
    },
  },
  {
    method: "GET",
    pattern: "/v1/functions/:functionId/samples/:sampleId",
    auth: true,
    handler: (ctx) => {
      const fn = requireFunction(ctx);
      const id = ctx.params.sampleId ?? "";
      const sample = fn.samples.get(id) ?? fn.samples.get(`sample_${id}`);
      if (!sample) throw new HttpError(404, `Sample '${id}' not found`);
      sendJson(ctx.res, 200, sample, {}, ctx.state);
    },
  },
  { method: "POST", pattern: "/v1/functions/:functionId/invoke", auth: true, handler: handleInvoke },
  {
    method: "GET",
    pattern: "/v0.9/functions/:functionId",
    auth: true,
    handler: (ctx) => sendJson(ctx.res, 200, { ...functionJson(requireFunction(ctx)), state: "Tuning" }, {}, ctx.state),
  },
  {
    method: "GET",
    pattern: "/v0.9/functions/:functionId/metrics",
    auth: true,
    handler: (ctx) => {
      const fn = requireFunction(ctx);
      const counts = sampleCounts(fn);
      const latest = ctx.state.latestModel(fn);
      sendJson(
        ctx.res,
        200,
        {
          functionId: fn.id,
          modelId: latest.id,
          isTraining: false,
          sampleCount: counts.total,
          annotatedSampleCount: counts.annotated,
          predictionCount: counts.total,
          annotatedLabelCounts: Object.fromEntries(fn.labels.map((label) => [label.id, label.trainingCount])),
        },
        {},
        ctx.state,
      );
    },
  },
];

function checkBearer(ctx: Ctx): void {
  const header = ctx.req.headers.authorization ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new HttpError(401, "Missing access token", {}, { "WWW-Authenticate": "Bearer" });
  const verdict = ctx.state.checkToken(match[1] ?? "");
  if (verdict === "expired") {
    throw new HttpError(401, "Access token expired", {}, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
  }
  if (verdict !== "valid") {
    throw new HttpError(401, "Invalid access token", {}, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
  }
}

// ---------------------------------------------------------------------------
// Control API (/_emulator/…): no auth, no limits, not counted.

const rateLimitBody = z.union([
  z.object({ perSecond: z.number().int().min(1), concurrency: z.number().int().min(1) }),
  z.object({ enabled: z.literal(false) }),
]);

const faultStep = z.union([
  z.literal("ok"),
  z.literal("hang"),
  z.number().int().min(400).max(599),
  z.object({ status: z.number().int().min(400).max(599), retryAfter: z.string().optional(), message: z.string().optional() }),
]);

const share = z.number().min(0).max(1).optional();

export const faultsSchema = z
  .object({
    latencyMs: z.number().min(0).optional(),
    latencyRangeMs: z.tuple([z.number().min(0), z.number().min(0)]).optional(),
    share429: share,
    share500: share,
    share503: share,
    shareHang: share,
    retryAfterSeconds: z.number().min(0).optional(),
    pathIncludes: z.string().optional(),
    next: z.array(faultStep).optional(),
  })
  .strict()
  .refine((f) => (f.share429 ?? 0) + (f.share500 ?? 0) + (f.share503 ?? 0) + (f.shareHang ?? 0) <= 1, {
    message: "share429 + share500 + share503 + shareHang must not exceed 1",
  });

const addModelBody = z
  .object({
    modelId: z.string().min(1).optional(),
    flipShare: z.number().min(0).max(1).optional(),
    createdAt: z.string().optional(),
  })
  .strict();

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, "The request body is not valid JSON");
  }
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, state: EmulatorState): Promise<void> {
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";
  const send = (status: number, body: unknown) => sendJson(res, status, body);

  if (path === "/_emulator" && method === "GET") {
    send(200, {
      clientId: state.clientId,
      tokenTtlSeconds: state.tokenTtlSeconds,
      rateLimit: state.rateLimit,
      faults: state.faults,
      functions: state.describeFunctions(),
    });
    return;
  }
  if (path === "/_emulator/functions" && method === "GET") {
    send(200, state.describeFunctions());
    return;
  }
  const addModel = matchPattern("/_emulator/functions/:functionId/models", path);
  if (addModel && method === "POST") {
    const parsed = addModelBody.safeParse(await readJsonBody(req));
    if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
    const fn = state.findFunction(addModel.functionId ?? "");
    if (!fn) throw new HttpError(404, `Function '${addModel.functionId}' not found`);
    try {
      const model = state.addModel(fn.id, parsed.data);
      send(201, { functionId: fn.id, ...model, latest: true });
    } catch (error) {
      throw new HttpError(409, error instanceof Error ? error.message : "Cannot add the model");
    }
    return;
  }
  if (path === "/_emulator/faults") {
    if (method === "GET") {
      send(200, state.faults);
      return;
    }
    if (method === "PUT") {
      const parsed = faultsSchema.safeParse(await readJsonBody(req));
      if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
      state.setFaults(parsed.data as EmulatorFaults);
      send(200, state.faults);
      return;
    }
    if (method === "DELETE") {
      state.clearFaults();
      send(200, state.faults);
      return;
    }
  }
  if (path === "/_emulator/rate-limit") {
    if (method === "GET") {
      send(200, { rateLimit: state.rateLimit });
      return;
    }
    if (method === "PUT") {
      const parsed = rateLimitBody.safeParse(await readJsonBody(req));
      if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
      state.setRateLimit("enabled" in parsed.data ? false : parsed.data);
      send(200, { rateLimit: state.rateLimit });
      return;
    }
  }
  if (path === "/_emulator/counters") {
    if (method === "GET") {
      send(200, state.counters());
      return;
    }
    if (method === "DELETE") {
      state.resetCounters();
      send(200, state.counters());
      return;
    }
  }
  if (path === "/_emulator/invokes" && method === "GET") {
    const limit = parseNonNegativeInt("limit", url.searchParams.get("limit"));
    send(200, state.recentInvokes(limit));
    return;
  }
  if (path === "/_emulator/reset" && method === "POST") {
    state.reset();
    send(200, { ok: true });
    return;
  }
  if (path === "/_emulator/tokens/revoke" && method === "POST") {
    send(200, { revoked: state.revokeTokens() });
    return;
  }
  throw new HttpError(404, `No emulator control endpoint ${method} ${path}`);
}

// ---------------------------------------------------------------------------

async function handleRequest(req: IncomingMessage, res: ServerResponse, state: EmulatorState): Promise<void> {
  const receivedAt = new Date().toISOString();
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://emulator.invalid");
  } catch {
    sendJson(res, 400, { message: "Malformed request URL" }, {}, state);
    return;
  }
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;

  if (path === "/_emulator" || path.startsWith("/_emulator/")) {
    try {
      await handleControl(req, res, url, state);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      sendJson(res, status, { message: error instanceof Error ? error.message : "Internal error" });
    }
    return;
  }

  const method = req.method ?? "GET";
  let route: Route | undefined;
  let params: Record<string, string> = {};
  let pathMatched = false;
  for (const candidate of API_ROUTES) {
    const match = matchPattern(candidate.pattern, path);
    if (!match) continue;
    pathMatched = true;
    if (candidate.method === method) {
      route = candidate;
      params = match;
      break;
    }
  }
  state.countRequest(route ? `${route.method} ${route.pattern}` : `${method} (unmatched)`, path);

  const admit = state.limit.tryAdmit();
  if (!admit.ok) {
    state.countRateLimited(admit.reason);
    if (route?.handler === handleInvoke) {
      state.recordInvoke({
        receivedAt,
        method,
        path,
        functionIdParam: params.functionId ?? "",
        functionId: state.findFunction(params.functionId ?? "")?.id ?? null,
        query: Object.fromEntries(url.searchParams),
        modelIdParam: url.searchParams.get("modelId"),
        modelIdUsed: null,
        bodyKind: "none",
        inputKind: null,
        status: 429,
        labelName: null,
        externalId: null,
        inputDigest: null,
      });
    }
    sendJson(res, 429, { message: admit.message }, {}, state);
    return;
  }
  res.once("close", admit.release);
  const body = readBody(req);
  body.catch(() => undefined); // handled where it is awaited; a hanging request never awaits it

  const fault = state.decideFault(path);
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.outcome === "hang") return; // never answered; released when the client gives up
  if (fault.outcome === "status") {
    sendJson(res, fault.status, { message: fault.message }, fault.retryAfter ? { "Retry-After": fault.retryAfter } : {}, state);
    return;
  }

  const ctx: Ctx = { req, res, url, params, state, receivedAt, body };
  try {
    if (!route) {
      if (pathMatched) throw new HttpError(405, `Method ${method} is not allowed on ${path}`);
      throw new HttpError(404, `No such endpoint: ${method} ${path}`);
    }
    if (route.auth) {
      try {
        checkBearer(ctx);
      } catch (error) {
        state.countUnauthorized();
        throw error;
      }
    }
    await route.handler(ctx);
  } catch (error) {
    if (error instanceof HttpError) {
      sendJson(res, error.status, { message: error.message, ...error.extra }, error.headers, state);
    } else {
      sendJson(res, 500, { message: "Internal emulator error" }, {}, state);
    }
  }
}

/** A multi-line description: URL, credentials, functions, models, control endpoints. */
export function formatBanner(url: string, state: EmulatorState): string {
  const lines: string[] = [];
  lines.push(`Nyckel emulator listening on ${url}`);
  lines.push(`  client id:     ${state.clientId}`);
  lines.push(`  client secret: ${state.clientSecret}`);
  const limit = state.rateLimit;
  lines.push(`  limits:        ${limit ? `${limit.perSecond} requests/s (sliding 1 s window), ${limit.concurrency} concurrent` : "off"}`);
  const faults = state.faults;
  if (Object.keys(faults).length > 0) lines.push(`  faults:        ${JSON.stringify(faults)}`);
  lines.push("  functions:");
  for (const fn of state.describeFunctions()) {
    lines.push(`    ${fn.id}  ${fn.input}  "${fn.name}"  labels: ${fn.labels.map((l) => l.name).join(", ")}`);
    fn.models.forEach((model) => {
      lines.push(`      ${model.id}${model.latest ? "  (latest)" : ""}`);
    });
  }
  lines.push(`  control API:   ${url}/_emulator  (see docs/nyckel-emulator.md)`);
  return lines.join("\n");
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const state = new EmulatorState({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    rateLimit: options.rateLimit,
    faults: options.faults,
    tokenTtlSeconds: options.tokenTtlSeconds,
    invokeLogSize: options.invokeLogSize,
  });
  if (options.faults) {
    const parsed = faultsSchema.safeParse(options.faults);
    if (!parsed.success) throw new RangeError(`Invalid emulator faults: ${zodMessage(parsed.error)}`);
  }
  const server: Server = createServer((req, res) => {
    handleRequest(req, res, state).catch(() => {
      sendJson(res, 500, { message: "Internal emulator error" });
    });
  });
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (!options.quiet) (options.print ?? console.log)(formatBanner(url, state));

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    state,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
