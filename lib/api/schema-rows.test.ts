import { describe, expect, it } from "vitest";
import { getOpenApiDocument } from "./openapi";
import { allowsMore, schemaRows, typeLabel } from "./schema-rows";

const doc = getOpenApiDocument();
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe("schema rows for the API page", () => {
  it("lists the fields of the pin list, nested pins with a dotted path", () => {
    const rows = schemaRows(doc, ref("EnvironmentPins"));
    const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
    expect(Object.keys(byPath)).toEqual(["environment", "at", "pins", "pins[].functionId", "pins[].modelId", "pins[].version", "pins[].updatedAt", "pins[].functionName"]);
    expect(byPath["pins"]!.type).toBe("EnvironmentPin[]");
    expect(byPath["pins[].modelId"]).toMatchObject({ type: "string | null", required: true });
    expect(byPath["pins[].modelId"]!.description).toContain("null = latest");
    expect(byPath["pins[].version"]!.type).toBe("integer (≥ 0)");
    expect(byPath["at"]!.type).toContain("date-time");
  });

  it("names enums, refs and optional fields", () => {
    const rows = schemaRows(doc, ref("ProxyError"));
    expect(rows.find((r) => r.path === "error.code")!.type).toMatch(/^one of: "token_missing", /);
    const invoke = schemaRows(doc, ref("InvokeOutput"));
    expect(invoke.find((r) => r.path === "labelConfidences")).toMatchObject({ required: false });
    expect(invoke.find((r) => r.path === "confidence")).toMatchObject({ type: "number", required: true });
    expect(allowsMore(doc, ref("InvokeOutput"))).toBe(true);
    expect(allowsMore(doc, ref("PinResolution"))).toBe(false);
  });

  it("describes non-object schemas in one row", () => {
    expect(typeLabel(doc, { type: "string" })).toBe("string");
    expect(typeLabel(doc, { type: "array", items: { type: "integer", minimum: 1 } })).toBe("integer (≥ 1)[]");
    expect(typeLabel(doc, { anyOf: [ref("ProxyError"), ref("NyckelError")] })).toBe("ProxyError | NyckelError");
    expect(typeLabel(doc, { type: "string", format: "binary" })).toBe("file");
    expect(schemaRows(doc, { type: "string" })).toEqual([{ path: "(body)", type: "string", required: true, description: undefined }]);
  });
});
