/**
 * Flattens a JSON Schema of the OpenAPI document into rows a person can read:
 * one per property (nested objects and array items with dotted paths), each with
 * a short type ("string", "integer ≥ 0", "string | null", "Pin[]", "one of: a, b"),
 * whether it is required, and its description. Used by the API page.
 */
import { isReference, resolvePointer, type JsonSchema } from "./openapi-types";

export type SchemaRow = { path: string; type: string; required: boolean; description?: string };

const MAX_DEPTH = 4;

function componentName(refValue: string): string {
  return refValue.split("/").pop() ?? refValue;
}

function asSchema(value: unknown): JsonSchema | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : undefined;
}

/** Follows `$ref`s (and a lone `allOf: [$ref]`) to the schema they name. */
function follow(doc: unknown, schema: JsonSchema, seen = new Set<string>()): JsonSchema {
  if (isReference(schema)) {
    if (seen.has(schema.$ref)) return {};
    seen.add(schema.$ref);
    const target = asSchema(resolvePointer(doc, schema.$ref));
    if (!target) return {};
    // Keep sibling keywords (e.g. description) next to the $ref.
    const { $ref: _r, ...siblings } = schema as JsonSchema & { $ref: string };
    return follow(doc, { ...target, ...siblings }, seen);
  }
  return schema;
}

function constraint(schema: JsonSchema): string {
  const parts: string[] = [];
  const num = (k: string) => (typeof schema[k] === "number" && Math.abs(schema[k] as number) < Number.MAX_SAFE_INTEGER ? (schema[k] as number) : undefined);
  const min = num("minimum");
  const max = num("maximum");
  if (min !== undefined) parts.push(`≥ ${min}`);
  if (max !== undefined) parts.push(`≤ ${max}`);
  if (typeof schema.minLength === "number" && schema.minLength > 0) parts.push(`${schema.minLength}+ chars`);
  if (typeof schema.maxLength === "number") parts.push(`≤ ${schema.maxLength} chars`);
  if (typeof schema.format === "string") parts.push(schema.format);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** A short human description of a schema's type. */
export function typeLabel(doc: unknown, raw: JsonSchema, depth = 0): string {
  if (depth > MAX_DEPTH) return "…";
  if (isReference(raw)) {
    const target = follow(doc, raw);
    const name = componentName(raw.$ref);
    return target.type === "object" || target.properties ? name : typeLabel(doc, target, depth + 1);
  }
  const schema = raw;
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return `one of: ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return options.map((o) => typeLabel(doc, asSchema(o) ?? {}, depth + 1)).join(" | ");
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return typeLabel(doc, asSchema(schema.allOf[0]) ?? {}, depth + 1);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === "string" ? [schema.type] : [];
  if (types.length === 0) return "any";
  return types
    .map((t) => {
      if (t === "array") {
        const items = asSchema(schema.items);
        return items ? `${typeLabel(doc, items, depth + 1)}[]` : "array";
      }
      if (t === "string" && (schema.format === "binary" || schema.contentEncoding === "binary")) return "file";
      if (t === "object" && !schema.properties && asSchema(schema.additionalProperties)) {
        return `map of ${typeLabel(doc, asSchema(schema.additionalProperties)!, depth + 1)}`;
      }
      return `${t}${t === "null" || t === "object" ? "" : constraint(schema)}`;
    })
    .join(" | ");
}

/** The object schema behind `schema`, if it (or its array items) describes an object with properties. */
function objectOf(doc: unknown, raw: JsonSchema): { schema: JsonSchema; suffix: string } | undefined {
  const schema = follow(doc, raw);
  if (schema.properties) return { schema, suffix: "" };
  const items = asSchema(schema.items);
  if (schema.type === "array" && items) {
    const inner = follow(doc, items);
    if (inner.properties) return { schema: inner, suffix: "[]" };
  }
  // A nullable object: anyOf [object, null].
  const options = Array.isArray(schema.anyOf) ? schema.anyOf : [];
  const nonNull = options.map((o) => asSchema(o)).filter((o): o is JsonSchema => Boolean(o) && o?.type !== "null");
  if (nonNull.length === 1) return objectOf(doc, nonNull[0]!);
  return undefined;
}

/** The rows of an object schema (its properties, recursively), or one row for anything else. */
export function schemaRows(doc: unknown, raw: JsonSchema, prefix = "", depth = 0): SchemaRow[] {
  const obj = objectOf(doc, raw);
  if (!obj) return prefix ? [] : [{ path: "(body)", type: typeLabel(doc, raw), required: true, description: follow(doc, raw).description as string | undefined }];
  const required = new Set(Array.isArray(obj.schema.required) ? (obj.schema.required as string[]) : []);
  const rows: SchemaRow[] = [];
  for (const [name, value] of Object.entries((obj.schema.properties ?? {}) as Record<string, unknown>)) {
    const prop = asSchema(value) ?? {};
    const path = prefix ? `${prefix}${obj.suffix}.${name}` : name;
    const followed = follow(doc, prop);
    rows.push({ path, type: typeLabel(doc, prop), required: required.has(name), description: (prop.description ?? followed.description) as string | undefined });
    if (depth < MAX_DEPTH) rows.push(...schemaRows(doc, prop, path, depth + 1));
  }
  return rows;
}

/** Whether the object allows properties it does not list (Nyckel's answers may grow). */
export function allowsMore(doc: unknown, raw: JsonSchema): boolean {
  const obj = objectOf(doc, raw);
  if (!obj) return false;
  return obj.schema.additionalProperties !== false && obj.schema.unevaluatedProperties !== false;
}
