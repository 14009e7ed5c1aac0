import { describe, expect, it } from "vitest";
import {
  apiErrorSchema,
  environmentPinsSchema,
  invokeOutputSchema,
  modelConflictErrorSchema,
  pinResolutionSchema,
  proxyErrorSchema,
  SERVING_ROUTES,
} from "@/lib/serving/schemas";
import { buildOpenApiDocument, getOpenApiDocument, getOpenApiJson } from "./openapi";
import { HTTP_METHODS, deref, isReference, resolvePointer, type OpenApiDocument, type ParameterObject, type ResponseObject } from "./openapi-types";
import { OpenApiValidator, createAjv } from "@/scripts/testing/openapi-validator";
import { healthResponseSchema } from "./schemas";

const doc = getOpenApiDocument();

function collectRefs(node: unknown, at = "#", out: Array<{ ref: string; at: string }> = []): Array<{ ref: string; at: string }> {
  if (Array.isArray(node)) node.forEach((n, i) => collectRefs(n, `${at}/${i}`, out));
  else if (typeof node === "object" && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push({ ref: v, at });
      else collectRefs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function operations(d: OpenApiDocument) {
  return Object.entries(d.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((method) => ({ path, method, operation: item[method]! })),
  );
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1.0 with info, servers, paths and a bearer scheme", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Modelpin API");
    expect(doc.servers?.[0]?.url).toBe("/");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/api/health",
        "/api/openapi.json",
        "/api/v1/environments/{environment}/pins",
        "/api/v1/environments/{environment}/pins/{functionId}",
        "/v1/functions/{functionId}/invoke",
        // The automation API (issue 19).
        "/api/v1/functions/{functionId}/models",
        "/api/v1/functions/{functionId}/sample-sets",
        "/api/v1/functions/{functionId}/comparisons",
        "/api/v1/comparisons/{id}",
        "/api/v1/environments/{environment}/promotion-requests",
        "/api/v1/promotion-requests/{id}",
        "/api/v1/promotion-requests/{id}/cancel",
      ].sort(),
    );
    // Plain JSON: what the route serves parses back to the same document.
    expect(JSON.parse(getOpenApiJson())).toEqual(doc);
    // Deterministic: building again gives the same document.
    expect(buildOpenApiDocument()).toEqual(doc);
  });

  it("resolves every $ref", () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    const broken = refs.filter(({ ref }) => resolvePointer(doc, ref) === undefined).map(({ ref, at }) => `${ref} (at ${at})`);
    expect(broken).toEqual([]);
  });

  it("documents responses with descriptions for every operation, unique operation ids, and every path parameter", () => {
    const ops = operations(doc);
    expect(ops.length).toBe(12);
    expect(new Set(ops.map((o) => o.operation.operationId)).size).toBe(ops.length);
    for (const { path, method, operation } of ops) {
      const statuses = Object.keys(operation.responses);
      expect(statuses.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const status of statuses) {
        expect(status, `${method} ${path}`).toMatch(/^[1-5]\d\d$/);
        const description = deref<ResponseObject>(doc, operation.responses[status]!).description;
        expect(description.length, `${method} ${path} ${status}`).toBeGreaterThan(3);
        expect(description, `${method} ${path} ${status} stands alone`).not.toMatch(/^as above/i);
      }
      const params = (operation.parameters ?? []).map((p) => deref<ParameterObject>(doc, p));
      for (const name of path.match(/\{([^}]+)\}/g)?.map((m) => m.slice(1, -1)) ?? []) {
        const p = params.find((x) => x.name === name && x.in === "path");
        expect(p, `${method} ${path} declares {${name}}`).toBeDefined();
        expect(p!.required).toBe(true);
      }
      for (const p of params.filter((x) => x.in === "path")) expect(path).toContain(`{${p.name}}`);
      expect(operation["x-codeSamples"]?.length, `${method} ${path} has a curl example`).toBeGreaterThan(0);
    }
  });

  it("covers every status of the serving routes' catalog, and the proxy's Nyckel pass-through statuses", () => {
    for (const route of SERVING_ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase() as "get" | "post"];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(Object.keys(route.responses)));
    }
    const invoke = doc.paths["/v1/functions/{functionId}/invoke"]!.post!;
    expect(Object.keys(invoke.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "404", "409", "429", "502", "503"]));
    expect(Object.keys(invoke.requestBody!.content).sort()).toEqual(["application/json", "multipart/form-data"]);
    const paramNames = (invoke.parameters ?? []).map((p) => deref<ParameterObject>(doc, p).name);
    expect(paramNames).toEqual(expect.arrayContaining(["functionId", "labelCount", "includeMetadata", "capture", "externalId", "modelId"]));
    const resolve = doc.paths["/api/v1/environments/{environment}/pins/{functionId}"]!.get!;
    expect((resolve.parameters ?? []).map((p) => deref<ParameterObject>(doc, p).name)).toContain("If-None-Match");
    const ok = deref<ResponseObject>(doc, resolve.responses["200"]!);
    expect(Object.keys(ok.headers ?? {})).toContain("ETag");
    const invoked = deref<ResponseObject>(doc, invoke.responses["200"]!);
    expect(Object.keys(invoked.headers ?? {}).sort()).toEqual(["X-Modelpin-Environment", "X-Modelpin-Model-Id"]);
  });

  it("compiles every component schema with ajv (JSON Schema 2020-12 + formats)", () => {
    const v = new OpenApiValidator(doc);
    const names = Object.keys(doc.components.schemas);
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) expect(() => v.validator({ $ref: `#/components/schemas/${name}` }), name).not.toThrow();
    // Each schema also compiles alone once its refs are rebased (what a client generator sees).
    const ajv = createAjv();
    ajv.addKeyword({ keyword: "components" });
    ajv.addSchema({ $id: "doc", components: doc.components } as Record<string, unknown>);
    for (const name of names) expect(() => ajv.compile({ $ref: `doc#/components/schemas/${name}` }), name).not.toThrow();
    // And every inline schema: request and response bodies, parameters, headers.
    let inline = 0;
    for (const { path, method, operation } of operations(doc)) {
      const schemas = [
        ...Object.values(operation.requestBody?.content ?? {}).map((m) => m.schema),
        ...Object.values(operation.responses).flatMap((r) => Object.values(deref<ResponseObject>(doc, r).content ?? {}).map((m) => m.schema)),
        ...(operation.parameters ?? []).map((p) => deref<ParameterObject>(doc, p).schema),
      ];
      for (const s of schemas) {
        expect(() => v.validator(s), `${method} ${path} ${JSON.stringify(s)}`).not.toThrow();
        inline++;
      }
    }
    for (const [name, h] of Object.entries(doc.components.headers)) expect(() => v.validator(h.schema), name).not.toThrow();
    expect(inline).toBeGreaterThan(30);
  });

  it("has examples that match their own schemas", () => {
    const v = new OpenApiValidator(doc);
    let checked = 0;
    for (const { path, method, operation } of operations(doc)) {
      const media = [
        ...Object.entries(operation.requestBody?.content ?? {}).map(([type, m]) => [`request ${type}`, m] as const),
        ...Object.entries(operation.responses).flatMap(([status, r]) => Object.entries(deref<ResponseObject>(doc, r).content ?? {}).map(([type, m]) => [`${status} ${type}`, m] as const)),
      ];
      for (const [what, m] of media) {
        if (m.example === undefined) continue;
        expect(v.validate(m.schema, m.example), `${method} ${path} ${what}`).toBe("");
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it("says what the zod schemas say: the same values pass and fail in both", () => {
    const v = new OpenApiValidator(doc);
    const schemaOf = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    // zod accepts ⇒ its output (what a route sends) passes ajv; zod refuses ⇒ ajv refuses the value too.
    const cases: Array<{ name: string; zod: { safeParse(x: unknown): { success: boolean; data?: unknown } }; values: unknown[] }> = [
      {
        name: "PinResolution",
        zod: pinResolutionSchema,
        values: [
          { functionId: "function_a", modelId: null, version: 0, updatedAt: null },
          { functionId: "function_a", modelId: "model_b", version: 2, updatedAt: "2026-03-01T14:30:00.000Z" },
          { functionId: "function_a", modelId: "model_b", version: -1, updatedAt: null },
          { functionId: "function_a", modelId: "model_b", version: 1.5, updatedAt: null },
          { functionId: "function_a", modelId: 7, version: 1, updatedAt: null },
          { functionId: "function_a", modelId: null, version: 0, updatedAt: "yesterday" },
          { functionId: "function_a", modelId: null, version: 0 },
          { functionId: "function_a", modelId: null, version: 0, updatedAt: null, extra: true },
        ],
      },
      {
        name: "EnvironmentPins",
        zod: environmentPinsSchema,
        values: [
          { environment: "production", at: "2026-03-01T14:30:00Z", pins: [] },
          { environment: "production", at: "2026-03-01T14:30:00Z", pins: [{ functionId: "f", functionName: "F", modelId: null, version: 0, updatedAt: null }] },
          { environment: "production", at: "2026-03-01T14:30:00Z", pins: [{ functionId: "f", modelId: null, version: 0, updatedAt: null }] },
          { environment: "production", pins: [] },
        ],
      },
      {
        name: "ApiError",
        zod: apiErrorSchema,
        values: [{ error: { code: "token_revoked", message: "Revoked." } }, { error: { code: "teapot", message: "x" } }, { message: "x" }, { error: { code: "forbidden", message: "" } }],
      },
      {
        name: "ProxyError",
        zod: proxyErrorSchema,
        values: [{ message: "m", error: { code: "token_missing", message: "m" } }, { message: "m" }],
      },
      {
        name: "ModelConflictError",
        zod: modelConflictErrorSchema,
        values: [
          { message: "m", error: { code: "model_conflict", message: "m", environment: "p", functionId: "f", pinnedModelId: null, requestedModelId: "x" } },
          { message: "m", error: { code: "forbidden", message: "m", environment: "p", functionId: "f", pinnedModelId: null, requestedModelId: "x" } },
        ],
      },
      {
        name: "InvokeOutput",
        zod: invokeOutputSchema,
        values: [
          { labelName: "Cat", labelId: "label_1", confidence: 0.9 },
          { labelName: "Cat", labelId: "label_1", confidence: 0.9, labelConfidences: [{ labelName: "Cat", labelId: "label_1", confidence: 0.9 }], somethingNew: 1 },
          { labelName: "Cat" },
          { labelName: "Cat", confidence: "high" },
        ],
      },
      { name: "Health", zod: healthResponseSchema, values: [{ status: "ok", role: "serve" }, { status: "ok" }, { status: "ok", role: "everything" }, { status: "down", role: "all" }, {}] },
    ];
    for (const c of cases) {
      for (const value of c.values) {
        const parsed = c.zod.safeParse(value);
        const ajvOk = v.validate(schemaOf(c.name), parsed.success ? parsed.data : value) === "";
        expect(ajvOk, `${c.name} ${JSON.stringify(value)}: zod says ${parsed.success}`).toBe(parsed.success);
      }
      // Each case has at least one valid and one invalid value, so the comparison can fail.
      expect(new Set(c.values.map((x) => c.zod.safeParse(x).success)).size, c.name).toBe(2);
    }
  });

  it("the validator refuses undocumented statuses, wrong bodies and missing headers", () => {
    const v = new OpenApiValidator(doc);
    const base = { method: "GET", path: "/api/v1/environments/production/pins/function_a", headers: { "content-type": "application/json", etag: '"x"', "cache-control": "no-cache" } };
    const good = JSON.stringify({ functionId: "function_a", modelId: null, version: 0, updatedAt: null });
    expect(v.check({ ...base, status: 200, body: good }).problems).toEqual([]);
    expect(v.check({ ...base, status: 200, body: good }).template).toBe("/api/v1/environments/{environment}/pins/{functionId}");
    expect(v.check({ ...base, status: 418, body: good }).problems.join()).toContain("status 418 is not documented");
    expect(v.check({ ...base, status: 200, body: "{}" }).problems.join()).toContain("must have required property");
    expect(v.check({ ...base, headers: { "content-type": "application/json" }, status: 200, body: good }).problems.join()).toContain("required header ETag is missing");
    expect(v.check({ ...base, status: 304, body: "" }).problems).toEqual([]);
    expect(v.check({ ...base, status: 304, body: good }).problems.join()).toContain("documents no body");
    expect(v.check({ ...base, method: "DELETE", status: 200, body: good }).problems.join()).toContain("not documented");
    expect(v.check({ ...base, path: "/api/v2/nothing", status: 200, body: good }).problems.join()).toContain("not a documented path");
    const proxy = { method: "POST", path: "/v1/functions/function_a/invoke", headers: { "content-type": "application/json; charset=utf-8", "x-modelpin-environment": "p", "x-modelpin-model-id": "latest" } };
    expect(v.check({ ...proxy, status: 404, body: JSON.stringify({ message: "Function 'x' not found" }) }).problems).toEqual([]);
    expect(v.check({ ...proxy, status: 200, body: JSON.stringify({ labelName: "Cat", confidence: 0.5 }) }).problems).toEqual([]);
    expect(v.check({ ...proxy, headers: { "content-type": "application/json" }, status: 200, body: JSON.stringify({ confidence: 0.5 }) }).problems.join()).toContain(
      "X-Modelpin-Environment is missing",
    );
    expect(isReference({ $ref: "#/x" })).toBe(true);
  });
});
