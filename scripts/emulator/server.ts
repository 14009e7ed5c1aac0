/**
 * A Nyckel-compatible HTTP server for development and tests (node:http only).
 * Endpoints, choices and control API: docs/nyckel-emulator.md. This file admits
 * requests (rate limit, faults) and dispatches them: the Nyckel routes are in
 * nyckel-routes.ts, the control API in control.ts, the plumbing in http.ts.
 *
 *   const emu = await startEmulator({ port: 0, quiet: true });
 *   // emu.url → "http://127.0.0.1:54321"; emu.state → EmulatorState; await emu.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EmulatorState, type EmulatorStateOptions } from "./state";
import { faultsSchema, handleControl } from "./control";
import { HttpError, matchPattern, readBody, sendJson, sleep, zodMessage } from "./http";
import { API_ROUTES, checkBearer, handleInvoke, type Ctx, type Route } from "./nyckel-routes";

export interface EmulatorOptions extends Omit<EmulatorStateOptions, "maxSamplesPerFunction"> {
  /** 0 (default) = a free random port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
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

  const fault = state.decideFault(path + url.search);
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
  const { port: _port, host: _host, quiet: _quiet, print: _print, ...stateOptions } = options;
  const state = new EmulatorState(stateOptions);
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
