import { describe, expect, it } from "vitest";
import type { ServingContent } from "@/lib/serving/cache";
import { environmentLabel, functionLabel, NO_ENVIRONMENT_LABEL, UNKNOWN_LABEL } from "./serving";

const content = {
  environmentsBySlug: new Map([["production", {}]]),
  functionIds: new Set(["function_abc"]),
} as unknown as ServingContent;

describe("serving metric labels", () => {
  it("keep known environments and functions (function ids as stored) and fold everything else into one value", () => {
    expect(environmentLabel(content, "production")).toBe("production");
    expect(environmentLabel(content, "no-such-env")).toBe(UNKNOWN_LABEL);
    expect(environmentLabel(content, "")).toBe(NO_ENVIRONMENT_LABEL);
    expect(environmentLabel(null, "production")).toBe(UNKNOWN_LABEL);
    expect(functionLabel(content, "function_abc")).toBe("function_abc");
    expect(functionLabel(content, "abc")).toBe("function_abc");
    expect(functionLabel(content, "function_random123")).toBe(UNKNOWN_LABEL);
    expect(functionLabel(content, "../../etc")).toBe(UNKNOWN_LABEL);
    expect(functionLabel(null, "function_abc")).toBe(UNKNOWN_LABEL);
  });
});
