import { describe, expect, it } from "vitest";
import { ifNoneMatchMatches, strongEtag } from "./etag";

describe("strongEtag", () => {
  it("is a quoted, stable digest of the exact bytes", () => {
    const a = strongEtag('{"pins":[]}');
    expect(a).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(strongEtag('{"pins":[]}')).toBe(a);
    expect(strongEtag('{"pins": []}')).not.toBe(a);
    expect(strongEtag("")).not.toBe(a);
  });
});

describe("ifNoneMatchMatches", () => {
  const etag = strongEtag("x");
  it("matches the tag itself, its weak form, one of a list, and *", () => {
    expect(ifNoneMatchMatches(etag, etag)).toBe(true);
    expect(ifNoneMatchMatches(`W/${etag}`, etag)).toBe(true);
    expect(ifNoneMatchMatches(`"a", W/"b", ${etag}`, etag)).toBe(true);
    expect(ifNoneMatchMatches(`"a",${etag}`, etag)).toBe(true);
    expect(ifNoneMatchMatches("*", etag)).toBe(true);
  });

  it("does not match absent, empty, other or unquoted tags", () => {
    expect(ifNoneMatchMatches(null, etag)).toBe(false);
    expect(ifNoneMatchMatches("", etag)).toBe(false);
    expect(ifNoneMatchMatches('"other"', etag)).toBe(false);
    expect(ifNoneMatchMatches(etag.slice(1, -1), etag)).toBe(false);
    expect(ifNoneMatchMatches(`"${etag}"`, etag)).toBe(false);
  });
});
