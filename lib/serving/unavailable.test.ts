import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "@/lib/db/breaker";
import { ServingCacheUnavailableError } from "./cache";
import { isDatabaseUnavailable } from "./unavailable";

describe("isDatabaseUnavailable", () => {
  it("recognises connection failures, also wrapped as causes", () => {
    expect(isDatabaseUnavailable(new ServingCacheUnavailableError())).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("query failed", { cause: Object.assign(new Error("x"), { code: "57P01" }) }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error("a"), { code: "ECONNREFUSED" })]))).toBe(true);
    // Another bundle's copy of the class (Next bundles lib/ more than once): known by its name.
    expect(isDatabaseUnavailable(Object.assign(new Error("The pin cache is not loaded"), { name: "ServingCacheUnavailableError" }))).toBe(true);
  });

  it("recognises timeouts: the client's own, the server's, the pool's and the breaker's", () => {
    expect(isDatabaseUnavailable(new Error("Query read timeout"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated due to connection timeout"))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("canceling statement due to lock timeout"), { code: "55P03" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("wrapped", { cause: new DatabaseUnavailableError() }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code: "P2024" }))).toBe(true);
  });

  it("does not call ordinary errors unavailability", () => {
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
  });
});
