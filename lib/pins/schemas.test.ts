import { describe, expect, it } from "vitest";
import { setPinSchema } from "./schemas";

describe("setPinSchema", () => {
  const base = { environmentId: "00000000-0000-4000-8000-000000000000", functionId: "function_x", expectedVersion: 0, reason: "why" };
  it("ties the model and the restored version to the kind of change", () => {
    expect(setPinSchema.safeParse({ ...base, kind: "pin", modelRefId: null }).success).toBe(false);
    expect(setPinSchema.safeParse({ ...base, kind: "unpin", modelRefId: null }).success).toBe(true);
    expect(setPinSchema.safeParse({ ...base, kind: "rollback", modelRefId: null }).success).toBe(false);
    expect(setPinSchema.safeParse({ ...base, kind: "rollback", modelRefId: null, restoreVersion: 0 }).success).toBe(true);
    expect(setPinSchema.safeParse({ ...base, kind: "unpin", modelRefId: null, restoreVersion: 1 }).success).toBe(false);
  });
  it("requires a reason of at most 2,000 characters", () => {
    expect(setPinSchema.safeParse({ ...base, kind: "unpin", modelRefId: null, reason: " " }).success).toBe(false);
    expect(setPinSchema.safeParse({ ...base, kind: "unpin", modelRefId: null, reason: "x".repeat(2000) }).success).toBe(true);
    expect(setPinSchema.safeParse({ ...base, kind: "unpin", modelRefId: null, reason: "x".repeat(2001) }).success).toBe(false);
  });
});
