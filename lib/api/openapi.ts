/**
 * Modelpin's OpenAPI 3.1 document (served at /api/openapi.json, rendered at /api-docs),
 * generated from the zod schemas and the route catalog the serving routes use
 * (lib/serving/schemas.ts), so the document cannot drift from the answers.
 *
 * Schemas are converted with `z.toJSONSchema` (draft 2020-12, OpenAPI 3.1's dialect):
 * response bodies as the routes *output* them, request bodies as a caller *inputs*
 * them. Each named schema becomes `#/components/schemas/<Name>`; schemas zod
 * extracts on its own (those with a `.meta({ id })`) become components too.
 *
 * What the catalog does not say and the document adds: the Nyckel statuses the
 * proxy passes through unchanged, parameters, response headers, request bodies,
 * examples (validated against their schemas by openapi.test.ts) and curl samples
 * (openapi-examples.ts).
 *
 * No I/O, no Prisma: safe for route handlers, pages, scripts and tests.
 */
import { z } from "zod";
import {
  SERVING_ROUTES,
  environmentPinsPathSchema,
  functionPinPathSchema,
  invokeJsonBodySchema,
  invokeMultipartBodySchema,
  invokePathSchema,
  invokeQuerySchema,
  nyckelErrorSchema,
  pinsQuerySchema,
  proxyResponseHeadersSchema,
  resolveResponseHeadersSchema,
  apiTokenSchema,
  type ServingRoute,
} from "@/lib/serving/schemas";
import {
  AUTOMATION_SAMPLES,
  DESCRIPTIONS,
  EXAMPLES,
  EXAMPLE_ETAG,
  NYCKEL_PASS_THROUGH,
  SAMPLES,
  URL_VAR,
} from "./openapi-examples";
import type {
  HeaderObject,
  JsonSchema,
  MediaTypeObject,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  Reference,
  ResponseObject,
} from "./openapi-types";
import { healthResponseSchema } from "./schemas";
import { AUTOMATION_ROUTES } from "@/lib/automation/schemas";

type Schema = z.ZodType;

const COMPONENT = "#/components/schemas/";
/** Component names are plain identifiers (letters, digits, `-`, `_`, `.`): no escaping needed. */
const ref = (kind: "schemas" | "parameters" | "headers" | "responses", name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });

// ---- zod → component schemas --------------------------------------------------------

/** Rewrites references with `rename` (zod's `__shared#/$defs/<id>` → component references). */
function rewriteRefs(node: unknown, rename: (target: string) => string | undefined): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, rename));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === "$ref" && typeof value === "string" ? (rename(value) ?? value) : rewriteRefs(value, rename);
  }
  return out;
}

/**
 * Converts named zod schemas into component schemas referencing each other by
 * `#/components/schemas/<Name>`. `taken` holds names already used by another pass
 * (a shared definition seen in both passes gets an `Input` suffix in the input pass).
 */
function toComponents(named: Map<Schema, string>, io: "input" | "output", taken: Map<string, JsonSchema>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, name] of named) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
    uri: (id) => (id === "__shared" ? "__shared" : `${COMPONENT}${id}`),
  }) as { schemas: Record<string, JsonSchema> };
  const shared = (schemas.__shared?.$defs ?? {}) as Record<string, JsonSchema>;
  delete schemas.__shared;
  const names = new Set(named.values());
  const sharedNames = new Map<string, string>();
  for (const id of Object.keys(shared)) {
    let name = id.replace(/[^A-Za-z0-9._-]/g, "_");
    const clash = taken.get(name);
    if (names.has(name) || (clash && JSON.stringify(clash) !== JSON.stringify(shared[id]))) name = `${name}${io === "input" ? "Input" : "Output"}`;
    sharedNames.set(id, name);
  }
  const rename = (target: string) => {
    const m = /^__shared#\/\$defs\/(.+)$/.exec(target);
    if (!m) return undefined;
    const name = sharedNames.get(decodeURIComponent(m[1]!).replace(/~1/g, "/").replace(/~0/g, "~"));
    return name ? `${COMPONENT}${name}` : undefined;
  };
  const clean = (s: JsonSchema): JsonSchema => {
    const { $schema: _schema, $id: _id, ...rest } = s;
    return rewriteRefs(rest, rename) as JsonSchema;
  };
  const out: Record<string, JsonSchema> = {};
  for (const [name, s] of Object.entries(schemas)) out[name] = clean(s);
  for (const [id, s] of Object.entries(shared)) out[sharedNames.get(id)!] = clean(s);
  for (const [name, s] of Object.entries(out)) taken.set(name, s);
  return out;
}

/**
 * Converts the schemas of parameters and headers: inlined, except that a schema
 * with a `.meta({ id })` (zod puts it under `$defs`) becomes a component schema of
 * its own and is referenced from there.
 */
class InlineConverter {
  constructor(private readonly components: Record<string, JsonSchema>) {}

  convert(schema: Schema, io: "input" | "output"): JsonSchema {
    const { $schema: _schema, $defs, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any", reused: "inline", cycles: "throw" }) as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    for (const [name, def] of Object.entries($defs ?? {})) {
      const existing = this.components[name];
      if (existing && JSON.stringify(existing) !== JSON.stringify(def)) throw new Error(`Two different schemas are both named ${name}.`);
      this.components[name] = def;
    }
    return rewriteRefs(rest, (target) => (target.startsWith("#/$defs/") ? `${COMPONENT}${target.slice("#/$defs/".length)}` : undefined)) as JsonSchema;
  }

  /** The schema without its description / examples (they move to the parameter or header), and the description of a referenced component. */
  split(schema: JsonSchema): { schema: JsonSchema; description?: string; example?: unknown } {
    const { description, examples, ...rest } = schema as JsonSchema & { description?: string; examples?: unknown[] };
    const target = typeof rest.$ref === "string" && rest.$ref.startsWith(COMPONENT) ? this.components[rest.$ref.slice(COMPONENT.length)] : undefined;
    const text = description ?? (typeof target?.description === "string" ? target.description : undefined);
    return { schema: rest, ...(text ? { description: text } : {}), ...(Array.isArray(examples) && examples.length ? { example: examples[0] } : {}) };
  }

  /** One parameter per property of a zod object. */
  parameters(object: z.ZodObject, location: "path" | "query"): ParameterObject[] {
    return Object.entries(object.shape).map(([name, field]) => {
      const { schema, description, example } = this.split(this.convert(field as Schema, "input"));
      const optional = location !== "path" && (field as Schema).safeParse(undefined).success;
      return { name, in: location, required: !optional, ...(description ? { description } : {}), schema, ...(example !== undefined ? { example } : {}) };
    });
  }

  /** One (required) header object per property of a zod object. */
  headers(object: z.ZodObject): Record<string, HeaderObject> {
    return Object.fromEntries(
      Object.entries(object.shape).map(([name, field]) => {
        const { schema, description } = this.split(this.convert(field as Schema, "output"));
        return [name, { required: true, ...(description ? { description } : {}), schema }];
      }),
    );
  }
}

/** The component name of a schema: its `.meta({ id })`. */
function metaId(schema: Schema): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id !== "string" || !id) throw new Error("A schema of the serving route catalog has no `.meta({ id })`: the OpenAPI document needs a component name for it.");
  return id;
}

// ---- the document -------------------------------------------------------------------

function operationId(route: ServingRoute): string {
  if (route.path.endsWith("/invoke")) return "invokeFunction";
  return route.path.endsWith("{functionId}") ? "getPin" : "listPins";
}

export function buildOpenApiDocument(): OpenApiDocument {
  // Component names: the catalog's schemas by their meta id, plus this module's own.
  const responseNames = new Map<Schema, string>([[healthResponseSchema, "Health"], [nyckelErrorSchema, metaId(nyckelErrorSchema)]]);
  for (const route of SERVING_ROUTES) for (const r of Object.values(route.responses)) if (r.schema) responseNames.set(r.schema, metaId(r.schema));
  const requestNames = new Map<Schema, string>([
    [invokeJsonBodySchema, metaId(invokeJsonBodySchema)],
    [invokeMultipartBodySchema, metaId(invokeMultipartBodySchema)],
    [apiTokenSchema, metaId(apiTokenSchema)],
  ]);
  for (const route of AUTOMATION_ROUTES) {
    for (const r of Object.values(route.responses)) if (r.schema) responseNames.set(r.schema, metaId(r.schema));
    if (route.body) requestNames.set(route.body.schema, metaId(route.body.schema));
  }
  const taken = new Map<string, JsonSchema>();
  const schemas = { ...toComponents(responseNames, "output", taken), ...toComponents(requestNames, "input", taken) };
  const inline = new InlineConverter(schemas);
  const nyckelError = responseNames.get(nyckelErrorSchema)!;

  const parameters: Record<string, ParameterObject> = {};
  const add = (ps: ParameterObject[]) => ps.map((p) => ((parameters[p.name] ??= p), ref("parameters", p.name)));
  const ifNoneMatch: ParameterObject = {
    name: "If-None-Match",
    in: "header",
    required: false,
    description: "The `ETag` of an earlier answer: while nothing changed, the answer is `304 Not Modified` with no body.",
    schema: { type: "string" },
    example: EXAMPLE_ETAG,
  };
  parameters["If-None-Match"] = ifNoneMatch;

  const resolveHeaderObjects = inline.headers(resolveResponseHeadersSchema);
  const proxyHeaderObjects = inline.headers(proxyResponseHeadersSchema);
  const headers: Record<string, HeaderObject> = { ...resolveHeaderObjects, ...proxyHeaderObjects };
  const resolveHeaders = Object.fromEntries(Object.keys(resolveHeaderObjects).map((h) => [h, ref("headers", h)]));
  const proxyHeaders = Object.fromEntries(Object.keys(proxyHeaderObjects).map((h) => [h, ref("headers", h)]));

  const paths: OpenApiDocument["paths"] = {};
  for (const route of SERVING_ROUTES) {
    const isProxy = route.path.startsWith("/v1/");
    const pathSchema = isProxy ? invokePathSchema : route.path.endsWith("{functionId}") ? functionPinPathSchema : environmentPinsPathSchema;
    const params = [
      ...add(inline.parameters(pathSchema, "path")),
      ...add(inline.parameters(isProxy ? invokeQuerySchema : pinsQuerySchema, "query")),
      ...(isProxy ? [] : [ref("parameters", "If-None-Match")]),
    ];
    const examples = EXAMPLES[route.path] ?? {};
    const responses: Record<string, ResponseObject> = {};
    const statuses = new Set([...Object.keys(route.responses), ...(isProxy ? Object.keys(NYCKEL_PASS_THROUGH) : [])]);
    for (const status of [...statuses].sort()) {
      const own = route.responses[Number(status)];
      const passThrough = isProxy ? NYCKEL_PASS_THROUGH[status] : undefined;
      const ownName = own?.schema ? responseNames.get(own.schema)! : undefined;
      // The proxy's own error, Nyckel's passed through, or either.
      const names = [ownName, passThrough && ownName !== nyckelError ? nyckelError : undefined].filter((n): n is string => Boolean(n));
      const description = [own?.description, passThrough ? `${own ? "Or: " : ""}${passThrough} Nyckel's answer, passed through unchanged.` : undefined].filter(Boolean).join(". ");
      const media: MediaTypeObject | undefined = names.length
        ? { schema: names.length === 1 ? ref("schemas", names[0]!) : { anyOf: names.map((n) => ref("schemas", n)) }, ...(status in examples ? { example: examples[status] } : {}) }
        : undefined;
      const answerHeaders = isProxy ? proxyHeaders : status === "200" || status === "304" ? resolveHeaders : undefined;
      responses[status] = {
        description: description || "—",
        ...(answerHeaders ? { headers: answerHeaders } : {}),
        ...(media ? { content: { "application/json": media } } : {}),
      };
    }
    const operation: OperationObject = {
      operationId: operationId(route),
      summary: route.summary,
      description: DESCRIPTIONS[route.path],
      tags: [isProxy ? "Invoke proxy" : "Resolve"],
      security: route.auth === "bearer" ? [{ bearerAuth: [] }] : [{ bearerAuth: [] }, { session: [] }],
      parameters: params,
      ...(isProxy
        ? {
            requestBody: {
              required: true,
              description:
                "Nyckel's invoke body, passed through unchanged: JSON `{ \"data\": … }` (text, an image URL or data URI, or a tabular object), or multipart/form-data with a `data` part (e.g. an image file).",
              content: {
                "application/json": { schema: ref("schemas", requestNames.get(invokeJsonBodySchema)!), example: { data: "I was charged twice this month" } },
                "multipart/form-data": { schema: ref("schemas", requestNames.get(invokeMultipartBodySchema)!) },
              },
            },
          }
        : {}),
      responses,
      ...(SAMPLES[route.path] ? { "x-codeSamples": SAMPLES[route.path] } : {}),
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }

  // The automation API (issue 19): token routes for pipelines, each needing one scope.
  for (const route of AUTOMATION_ROUTES) {
    const responses: Record<string, ResponseObject> = {};
    for (const [status, r] of Object.entries(route.responses).sort(([a], [b]) => a.localeCompare(b))) {
      responses[status] = { description: r.description, ...(r.schema ? { content: { "application/json": { schema: ref("schemas", responseNames.get(r.schema)!) } } } : {}) };
    }
    const operation: OperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: `Needs a token with the \`${route.scope}\` scope; acts as \`token: <name>\` in the audit log.`,
      tags: ["Automation"],
      security: [{ bearerAuth: [] }],
      parameters: add(inline.parameters(route.params, "path")),
      ...(route.body ? { requestBody: { required: true, content: { [route.body.type]: { schema: ref("schemas", requestNames.get(route.body.schema)!) } } } } : {}),
      responses,
      "x-codeSamples": [{ lang: "shell", label: "curl", source: AUTOMATION_SAMPLES[route.path]! }],
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }

  paths["/api/health"] = {
    get: {
      operationId: "health",
      summary: "Health check",
      description:
        "Answers while the instance serves requests, with its deployment role. It checks neither PostgreSQL nor Nyckel (GET /api/health/database checks PostgreSQL); no token needed.",
      tags: ["Operations"],
      security: [],
      responses: { "200": { description: "The instance is up.", content: { "application/json": { schema: ref("schemas", "Health"), example: { status: "ok", role: "all" } } } } },
      "x-codeSamples": [{ lang: "shell", label: "curl", source: `curl -sS "${URL_VAR}/api/health"` }],
    },
  };
  paths["/api/openapi.json"] = {
    get: {
      operationId: "openapi",
      summary: "This document",
      description: "The OpenAPI 3.1 description of Modelpin's API, generated from the zod schemas the routes use. Public and cacheable.",
      tags: ["Operations"],
      security: [],
      parameters: [ref("parameters", "If-None-Match")],
      responses: {
        "200": {
          description: "OpenAPI 3.1 JSON.",
          headers: { ETag: ref("headers", "ETag") },
          content: { "application/json": { schema: { type: "object", properties: { openapi: { const: "3.1.0" }, paths: { type: "object" } }, required: ["openapi", "paths"] } } },
        },
        "304": { description: "Not modified (If-None-Match matched the ETag); no body", headers: { ETag: ref("headers", "ETag") } },
      },
      "x-codeSamples": [{ lang: "shell", label: "curl", source: `curl -sS "${URL_VAR}/api/openapi.json"` }],
    },
  };

  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: {
      title: "Modelpin API",
      version: "1",
      description:
        "Applications get their Nyckel model pins from Modelpin in two ways: ask which model to use (the resolve API), or call Modelpin's Nyckel-compatible invoke proxy, which adds the environment's pinned `modelId`.\n\n" +
        "Authenticate with an environment token (`mp_…`, created by an admin in Settings → API tokens or with `npm run token:create`): `Authorization: Bearer mp_…`. A token acts for its own environment only, with its scopes: `read` (resolve), `invoke` (proxy), `evaluate` (models, sample sets, comparisons), `request` (promotion requests). No token approves, rejects, pins or changes settings.",
    },
    servers: [{ url: "/", description: "This Modelpin (the origin serving this document)" }],
    tags: [
      { name: "Resolve", description: "Which model is pinned where." },
      { name: "Invoke proxy", description: "Nyckel's invoke, with the pin applied." },
      { name: "Automation", description: "For pipelines: register models, upload sample sets, run comparisons and ask for promotions, which people approve (tokens with the evaluate and request scopes)." },
      { name: "Operations", description: "Health and this document." },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "mp_ environment token",
          description: (z.globalRegistry.get(apiTokenSchema)?.description as string | undefined) ?? "An environment token.",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "authjs.session-token",
          description: "A signed-in member's browser session (`__Secure-authjs.session-token` over HTTPS), for the resolve API only. Applications use tokens.",
        },
      },
      parameters,
      headers,
      responses: {},
    },
  };
}

let cached: { doc: OpenApiDocument; json: string } | undefined;

/** The document, built once per process (it depends on nothing but code). */
export function getOpenApiDocument(): OpenApiDocument {
  cached ??= (() => {
    const doc = buildOpenApiDocument();
    return { doc, json: JSON.stringify(doc) };
  })();
  return cached.doc;
}

/** The document as JSON text (what /api/openapi.json serves). */
export function getOpenApiJson(): string {
  getOpenApiDocument();
  return cached!.json;
}
