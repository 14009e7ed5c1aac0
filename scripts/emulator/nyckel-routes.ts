/**
 * The Nyckel API the emulator speaks (docs/nyckel-emulator.md): the token
 * endpoint, function, label and sample reads, and invoke, with their routing.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { inputDigest, inputKey, predict } from "./models";
import type { EmulatorState, EmuFunction, InvokeLogEntry } from "./state";
import { HttpError, mediaType, parseBoolean, parseMultipart, parseNonNegativeInt, sendJson } from "./http";
import { storedData, toInput } from "./inputs";

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

export interface Ctx {
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

export interface Route {
  method: string;
  pattern: string;
  auth: boolean;
  handler: Handler;
}

function requireFunction(ctx: Ctx): EmuFunction {
  const id = ctx.params.functionId ?? "";
  const fn = ctx.state.findFunction(id);
  if (!fn) throw new HttpError(404, `Function '${id}' not found`);
  return fn;
}

/** What a path parameter names, by its id with or without Nyckel's `${prefix}_`; else Nyckel's 404 for the `noun`. */
function requireById<T>(find: (id: string) => T | undefined, param: string | undefined, prefix: string, noun: string): T {
  const id = param ?? "";
  const found = find(id) ?? find(`${prefix}_${id}`);
  if (!found) throw new HttpError(404, `${noun} '${id}' not found`);
  return found;
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

export async function handleInvoke(ctx: Ctx): Promise<void> {
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

export const API_ROUTES: Route[] = [
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
      const label = requireById((id) => fn.labels.find((l) => l.id === id), ctx.params.labelId, "label", "Label");
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
      const sample = requireById((id) => fn.samples.get(id), ctx.params.sampleId, "sample", "Sample");
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
          ...(ctx.state.reportCurrentModelId ? { modelId: latest.id } : {}),
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

export function checkBearer(ctx: Ctx): void {
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
