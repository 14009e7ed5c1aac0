/**
 * Checks real HTTP answers against Modelpin's OpenAPI 3.1 document with ajv
 * (JSON Schema 2020-12 + formats): the status must be documented for the path
 * and method, the body must match the documented schema (or be empty when none
 * is documented), and every required response header must be present and match.
 *
 * Used by the unit test of the document and by the browser tests that check the
 * running server (e2e/api-contract.spec.ts). Not "server-only"; no I/O.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { HTTP_METHODS, deref, type HeaderObject, type JsonSchema, type OpenApiDocument, type OperationObject, type ResponseObject } from "@/lib/api/openapi-types";

const DOC_ID = "modelpin-openapi.json";

export type ObservedResponse = {
  method: string;
  /** The request path (no query), e.g. `/api/v1/environments/production/pins`. */
  path: string;
  status: number;
  /** Response headers (any case). */
  headers: Record<string, string>;
  /** The raw body. */
  body: string;
};

export type Check = { template: string | null; operation: OperationObject | null; problems: string[] };

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""}`).join("; ");
}

/** An ajv instance for OpenAPI 3.1 schemas: 2020-12, formats, OpenAPI's extra keywords tolerated. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // OpenAPI 3.1's base vocabulary and the file format used for multipart parts.
  ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]);
  ajv.addFormat("binary", true);
  return ajv;
}

export class OpenApiValidator {
  readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp }>;

  constructor(readonly doc: OpenApiDocument) {
    this.ajv = createAjv();
    // The document's schemas under one id, so `#/components/schemas/…` refs resolve inside it.
    this.ajv.addKeyword({ keyword: "components" });
    this.ajv.addSchema({ $id: DOC_ID, components: { schemas: doc.components.schemas } } as JsonSchema, DOC_ID);
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      // A path parameter matches one non-empty segment.
      pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[^/]+")}$`),
    }));
  }

  /** A compiled validator for a schema of the document (inline or `$ref`). */
  validator(schema: JsonSchema): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = this.compiled.get(key);
    if (!fn) {
      // Refs inside an inline schema point into the document: rebase them.
      const rebased = JSON.parse(key.replace(/"#\/components\//g, `"${DOC_ID}#/components/`)) as JsonSchema;
      fn = this.ajv.compile(rebased);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Problems of `value` against `schema` ("" when valid). */
  validate(schema: JsonSchema, value: unknown): string {
    const fn = this.validator(schema);
    return fn(value) ? "" : formatErrors(fn.errors);
  }

  /** The documented path template for a request path, or null. */
  match(path: string): string | null {
    return this.templates.find((t) => t.pattern.test(path))?.template ?? null;
  }

  check(observed: ObservedResponse): Check {
    const problems: string[] = [];
    const template = this.match(observed.path);
    if (!template) return { template, operation: null, problems: [`${observed.path} is not a documented path`] };
    const method = observed.method.toLowerCase();
    const operation = (HTTP_METHODS as readonly string[]).includes(method) ? (this.doc.paths[template]?.[method as (typeof HTTP_METHODS)[number]] ?? null) : null;
    if (!operation) return { template, operation, problems: [`${observed.method} ${template} is not documented`] };
    const status = String(observed.status);
    const raw = operation.responses[status] ?? operation.responses[`${status[0]}XX`] ?? operation.responses.default;
    if (!raw) return { template, operation, problems: [`status ${status} is not documented for ${observed.method} ${template} (documented: ${Object.keys(operation.responses).join(", ")})`] };
    const response = deref<ResponseObject>(this.doc, raw);
    const headers = Object.fromEntries(Object.entries(observed.headers).map(([k, v]) => [k.toLowerCase(), v]));

    for (const [name, h] of Object.entries(response.headers ?? {})) {
      const header = deref<HeaderObject>(this.doc, h);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`required header ${name} is missing`);
        continue;
      }
      const bad = this.validate(header.schema, value);
      if (bad) problems.push(`header ${name}: ${JSON.stringify(value)} ${bad}`);
    }

    const media = response.content?.["application/json"];
    if (!media) {
      if (observed.body.length > 0) problems.push(`status ${status} documents no body, got ${observed.body.length} bytes`);
      return { template, operation, problems };
    }
    const type = headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(type)) problems.push(`content-type is ${JSON.stringify(type)}, documented application/json`);
    let body: unknown;
    try {
      body = JSON.parse(observed.body);
    } catch {
      problems.push(`the body is not JSON: ${JSON.stringify(observed.body.slice(0, 200))}`);
      return { template, operation, problems };
    }
    const bad = this.validate(media.schema, body);
    if (bad) problems.push(`body ${JSON.stringify(body).slice(0, 300)}: ${bad}`);
    return { template, operation, problems };
  }
}
