import { describe, expect, it } from "vitest";
import { checkSameOrigin } from "./same-origin";

const req = (method: string, headers: Record<string, string>, url = "http://localhost:3000/api/functions/f/sample-sets") => ({ method, url, headers: new Headers(headers) });

describe("same-origin check of route handlers", () => {
  it("lets safe methods through whatever their headers", () => {
    expect(checkSameOrigin(req("GET", { origin: "https://wiki.corp.example" }), undefined)).toEqual({ ok: true });
    expect(checkSameOrigin(req("HEAD", {}), undefined)).toEqual({ ok: true });
  });

  it("accepts Modelpin's own pages: Sec-Fetch-Site same-origin, or an Origin equal to the request's or the public URL's", () => {
    expect(checkSameOrigin(req("POST", { "sec-fetch-site": "same-origin", origin: "http://localhost:3000" }), undefined)).toEqual({ ok: true });
    expect(checkSameOrigin(req("POST", { "sec-fetch-site": "same-origin" }), undefined)).toEqual({ ok: true });
    expect(checkSameOrigin(req("POST", { origin: "http://localhost:3000" }), undefined)).toEqual({ ok: true });
    expect(checkSameOrigin(req("DELETE", { origin: "https://modelpin.example.com" }, "http://10.0.0.5:3000/api/x"), "https://modelpin.example.com")).toEqual({ ok: true });
  });

  it("refuses a foreign Origin, a cross-site or same-site fetch, and a request with neither header", () => {
    expect(checkSameOrigin(req("POST", { origin: "https://wiki.corp.example" }), undefined)).toMatchObject({ ok: false, message: expect.stringContaining("another origin (https://wiki.corp.example)") });
    expect(checkSameOrigin(req("POST", { "sec-fetch-site": "cross-site", origin: "http://localhost:3000" }), undefined)).toMatchObject({ ok: false });
    expect(checkSameOrigin(req("PUT", { "sec-fetch-site": "same-site" }), undefined)).toMatchObject({ ok: false, message: expect.stringContaining("Sec-Fetch-Site: same-site") });
    expect(checkSameOrigin(req("POST", { "sec-fetch-site": "none" }), undefined)).toMatchObject({ ok: false });
    expect(checkSameOrigin(req("POST", {}), undefined)).toMatchObject({ ok: false, message: expect.stringContaining("neither") });
    expect(checkSameOrigin(req("POST", { origin: "null" }), undefined)).toMatchObject({ ok: false });
  });
});
