/**
 * The part of OpenAPI 3.1 that Modelpin's document uses, typed for the builder
 * (lib/api/openapi.ts), the API page (components/api-docs) and the tests.
 * Schemas are JSON Schema draft 2020-12 objects (OpenAPI 3.1's dialect).
 */

export type JsonSchema = { [key: string]: unknown };

export type Reference = { $ref: string };

export type ParameterObject = {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  description?: string;
  required?: boolean;
  schema: JsonSchema;
  example?: unknown;
};

export type HeaderObject = {
  description?: string;
  required?: boolean;
  schema: JsonSchema;
  example?: unknown;
};

export type MediaTypeObject = {
  schema: JsonSchema;
  example?: unknown;
  encoding?: Record<string, { contentType?: string }>;
};

export type ResponseObject = {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, MediaTypeObject>;
};

export type RequestBodyObject = {
  description?: string;
  required?: boolean;
  content: Record<string, MediaTypeObject>;
};

export type CodeSample = { lang: string; label: string; source: string };

export type OperationObject = {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<ParameterObject | Reference>;
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject | Reference>;
  /** Example requests (the Redoc convention), rendered by the API page. */
  "x-codeSamples"?: CodeSample[];
};

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItemObject = Partial<Record<HttpMethod, OperationObject>> & { summary?: string; description?: string };

export type OpenApiDocument = {
  openapi: "3.1.0";
  jsonSchemaDialect?: string;
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string; description?: string }>;
  tags?: Array<{ name: string; description?: string }>;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<
      string,
      { type: "http"; scheme: string; bearerFormat?: string; description?: string } | { type: "apiKey"; in: "cookie" | "header" | "query"; name: string; description?: string }
    >;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    responses: Record<string, ResponseObject>;
  };
};

export function isReference(value: unknown): value is Reference {
  return typeof value === "object" && value !== null && typeof (value as { $ref?: unknown }).$ref === "string";
}

/**
 * Follows a local `#/…` JSON pointer in the document (RFC 6901 escapes).
 * Returns undefined when it does not resolve.
 */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** `value`, or what its `$ref` points at (one level; components never chain refs here). */
export function deref<T>(doc: OpenApiDocument, value: T | Reference): T {
  if (!isReference(value)) return value;
  const target = resolvePointer(doc, value.$ref);
  if (target === undefined) throw new Error(`Unresolved $ref ${value.$ref}`);
  return target as T;
}
