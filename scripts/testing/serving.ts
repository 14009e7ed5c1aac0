/**
 * Helpers for the serving integration tests: call the route handlers the way
 * Next does (a Request and a params promise), set up environments, pins and
 * tokens through the real services. Not used by the app.
 */
import { randomBytes } from "node:crypto";
import { GET as getPinsRoute } from "@/app/api/v1/environments/[environment]/pins/route";
import { GET as getPinRoute } from "@/app/api/v1/environments/[environment]/pins/[functionId]/route";
import * as invokeRoutes from "@/app/v1/functions/[functionId]/invoke/route";
import { systemContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { registerModel } from "@/lib/models/service";
import { setPin } from "@/lib/pins/service";
import { createApiToken } from "@/lib/tokens/service";
import { OPEN_POLICY } from "./environments";

export type { TokenScope } from "@/lib/tokens/scopes";
import type { TokenScope } from "@/lib/tokens/scopes";

export const HOST = "http://modelpin.test";
export const sys = systemContext("test");
export const tag = () => randomBytes(4).toString("hex");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function getPins(slug: string, headers: Record<string, string> = {}, query = ""): Promise<Response> {
  return getPinsRoute(new Request(`${HOST}/api/v1/environments/${encodeURIComponent(slug)}/pins${query}`, { headers }), {
    params: Promise.resolve({ environment: slug }),
  });
}

export function getPin(slug: string, functionId: string, headers: Record<string, string> = {}, query = ""): Promise<Response> {
  return getPinRoute(new Request(`${HOST}/api/v1/environments/${encodeURIComponent(slug)}/pins/${encodeURIComponent(functionId)}${query}`, { headers }), {
    params: Promise.resolve({ environment: slug, functionId }),
  });
}

export function invoke(
  functionId: string,
  init: { headers?: Record<string, string>; query?: string; body?: BodyInit | null; method?: string } = {},
): Promise<Response> {
  const request = new Request(`${HOST}/v1/functions/${encodeURIComponent(functionId)}/invoke${init.query ?? ""}`, {
    method: init.method ?? "POST",
    headers: init.headers,
    body: init.body ?? null,
    ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  if (request.method !== "POST") return Promise.resolve(invokeRoutes[request.method as "GET" | "PUT" | "PATCH" | "DELETE"]());
  return invokeRoutes.POST(request, { params: Promise.resolve({ functionId }) });
}

/** Polls `check` until it returns true; resolves with the elapsed milliseconds, or throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 2000, everyMs = 5): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export async function newEnvironment(options: { allowCallerModelOverride?: boolean } = {}) {
  const t = tag();
  return createEnvironment(sys, {
    ...OPEN_POLICY,
    slug: `serve-${t}`,
    name: `Serve ${t}`,
    sortOrder: 500,
    allowCallerModelOverride: options.allowCallerModelOverride ?? false,
  });
}

/** The registered model row for a Nyckel model id (registering it when needed). */
export async function modelRef(functionId: string, modelId: string): Promise<string> {
  const found = await prisma.model.findUnique({ where: { functionId_modelId: { functionId, modelId } }, select: { id: true } });
  if (found) return found.id;
  return (await registerModel(sys, { functionId, modelId, nickname: `m ${modelId.slice(-4)}`, notes: "" })).id;
}

/** Pins `modelId` (null = latest) at the pin's current version. */
export async function pinTo(environmentId: string, functionId: string, modelId: string | null) {
  const current = await prisma.pin.findUnique({ where: { environmentId_functionId: { environmentId, functionId } }, select: { version: true } });
  const expectedVersion = current?.version ?? 0;
  if (modelId === null) {
    return setPin(sys, { environmentId, functionId, modelRefId: null, expectedVersion, reason: "test: latest", kind: "unpin" });
  }
  return setPin(sys, { environmentId, functionId, modelRefId: await modelRef(functionId, modelId), expectedVersion, reason: "test", kind: "pin" });
}

export async function newToken(environmentId: string, expiresInDays: number | null = null, scopes?: TokenScope[]) {
  return createApiToken(sys, { name: `test ${tag()}`, environmentId, expiresInDays, scopes });
}
