import { describe, expect, it } from "vitest";
import { splitModelId, upstreamQuery } from "./query-params";

describe("splitModelId", () => {
  it("takes out every modelId (any case, encoded or not) and keeps the other parameters byte for byte", () => {
    expect(splitModelId("labelCount=3&modelId=model_a&capture=false&externalId=a%20b+c&x")).toEqual({
      rest: ["labelCount=3", "capture=false", "externalId=a%20b+c", "x"],
      modelIds: ["model_a"],
    });
    expect(splitModelId("ModelId=model_b&MODELID=model_c&model%49d=model_d").modelIds).toEqual(["model_b", "model_c", "model_d"]);
    expect(splitModelId("modelId=&modelId").modelIds).toEqual(["", ""]);
    expect(splitModelId("modelId=model%5Fe").modelIds).toEqual(["model_e"]);
    expect(splitModelId("modelIdx=1&xmodelId=2")).toEqual({ rest: ["modelIdx=1", "xmodelId=2"], modelIds: [] });
    expect(splitModelId("")).toEqual({ rest: [], modelIds: [] });
    expect(splitModelId("a=%ZZ&&b=1")).toEqual({ rest: ["a=%ZZ", "b=1"], modelIds: [] });
  });
});

describe("upstreamQuery", () => {
  it("appends the served modelId (encoded) or nothing for latest", () => {
    expect(upstreamQuery(["labelCount=3", "capture=false"], "model_a")).toBe("labelCount=3&capture=false&modelId=model_a");
    expect(upstreamQuery(["labelCount=3"], null)).toBe("labelCount=3");
    expect(upstreamQuery([], "a b&c")).toBe("modelId=a%20b%26c");
    expect(upstreamQuery([], null)).toBe("");
  });
});
