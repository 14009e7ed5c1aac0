import { describe, expect, it } from "vitest";
import { z } from "zod";
import { apiErrorSchema, environmentPinsSchema, modelConflictErrorSchema, pinResolutionSchema, proxyErrorSchema, SERVING_ROUTES } from "./schemas";

describe("serving schemas", () => {
  it("accept the documented shapes and refuse wrong ones", () => {
    expect(pinResolutionSchema.safeParse({ functionId: "function_a", modelId: null, version: 0, updatedAt: null }).success).toBe(true);
    expect(pinResolutionSchema.safeParse({ functionId: "function_a", modelId: "model_b", version: 3, updatedAt: "2026-01-01T00:00:00.000Z" }).success).toBe(true);
    expect(pinResolutionSchema.safeParse({ functionId: "function_a", modelId: "model_b", version: -1, updatedAt: null }).success).toBe(false);
    expect(pinResolutionSchema.safeParse({ functionId: "function_a", modelId: "model_b", version: 1, updatedAt: "yesterday" }).success).toBe(false);
    expect(
      environmentPinsSchema.safeParse({ environment: "production", at: "2026-01-01T00:00:00.000Z", pins: [{ functionId: "f", functionName: "F", modelId: null, version: 0, updatedAt: null }] })
        .success,
    ).toBe(true);
    expect(apiErrorSchema.safeParse({ error: { code: "token_revoked", message: "This API token was revoked." } }).success).toBe(true);
    expect(apiErrorSchema.safeParse({ error: "unauthorized" }).success).toBe(false);
    expect(apiErrorSchema.safeParse({ error: { code: "teapot", message: "x" } }).success).toBe(false);
    expect(proxyErrorSchema.safeParse({ message: "m", error: { code: "nyckel_unreachable", message: "m" } }).success).toBe(true);
    expect(
      modelConflictErrorSchema.safeParse({
        message: "m",
        error: { code: "model_conflict", message: "m", environment: "production", functionId: "f", pinnedModelId: null, requestedModelId: "model_x" },
      }).success,
    ).toBe(true);
  });

  it("convert to JSON Schema (the OpenAPI document is generated from them)", () => {
    for (const route of SERVING_ROUTES) {
      for (const response of Object.values(route.responses)) {
        if (response.schema) expect(() => z.toJSONSchema(response.schema!, { io: "output", unrepresentable: "any" })).not.toThrow();
      }
    }
  });
});
