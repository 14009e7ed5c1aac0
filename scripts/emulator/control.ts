/**
 * The emulator's control API (/_emulator/…, docs/nyckel-emulator.md): faults,
 * rate limits, models, counters and the invoke log. No auth, no limits, not counted.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { EmulatorState } from "./state";
import type { EmulatorFaults } from "./faults";
import { HttpError, matchPattern, parseNonNegativeInt, readJsonBody, sendJson, zodMessage } from "./http";

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
    /** false: an older model id that answers when pinned but does not become "latest". Default true. */
    latest: z.boolean().optional(),
  })
  .strict();

const modelIdBody = z.object({ reported: z.boolean() }).strict();

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, state: EmulatorState): Promise<void> {
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";
  const send = (status: number, body: unknown) => sendJson(res, status, body);

  if (path === "/_emulator" && method === "GET") {
    send(200, {
      clientId: state.clientId,
      tokenTtlSeconds: state.tokenTtlSeconds,
      reportCurrentModelId: state.reportCurrentModelId,
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
      const { sideModel, ...described } = model;
      send(201, { functionId: fn.id, ...described, latest: !sideModel });
    } catch (error) {
      throw new HttpError(409, error instanceof Error ? error.message : "Cannot add the model");
    }
    return;
  }
  const forget = matchPattern("/_emulator/functions/:functionId/models/:modelId", path);
  if (forget && method === "DELETE") {
    const fn = state.findFunction(forget.functionId ?? "");
    if (!fn) throw new HttpError(404, `Function '${forget.functionId}' not found`);
    try {
      const { id } = state.forgetSideModel(fn, forget.modelId ?? "");
      send(200, { functionId: fn.id, id, forgotten: true });
    } catch (error) {
      throw new HttpError(error instanceof RangeError ? 404 : 409, error instanceof Error ? error.message : "Cannot forget the model");
    }
    return;
  }
  if (path === "/_emulator/model-id") {
    if (method === "PUT") {
      const parsed = modelIdBody.safeParse(await readJsonBody(req));
      if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
      state.reportCurrentModelId = parsed.data.reported;
    }
    if (method === "PUT" || method === "GET") {
      send(200, { reported: state.reportCurrentModelId });
      return;
    }
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
