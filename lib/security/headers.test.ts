import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, createNonce, strictTransportSecurity } from "./headers";

describe("security headers", () => {
  it("nonces are 128 random bits, different every time", () => {
    const a = createNonce();
    expect(Buffer.from(a, "base64")).toHaveLength(16);
    expect(createNonce()).not.toBe(a);
  });

  it("the production CSP: nonce + strict-dynamic, no eval, nothing may frame, no base or plugins", () => {
    const csp = contentSecurityPolicy("abc");
    expect(csp).toContain("script-src 'self' 'nonce-abc' 'strict-dynamic'");
    for (const d of ["frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'", "default-src 'self'"]) expect(csp).toContain(d);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("abc", { https: true })).toContain("upgrade-insecure-requests");
  });

  it("development allows eval and the HMR websocket", () => {
    const csp = contentSecurityPolicy("abc", { dev: true });
    expect(csp).toContain("'unsafe-eval'");
    expect(csp).toMatch(/connect-src 'self' blob: ws: wss:/);
  });

  it("HSTS only for an https public URL", () => {
    expect(strictTransportSecurity("https://modelpin.example.com")).toBe("max-age=31536000; includeSubDomains");
    expect(strictTransportSecurity("http://localhost:3000")).toBeNull();
    expect(strictTransportSecurity(undefined)).toBeNull();
    expect(strictTransportSecurity("not a url")).toBeNull();
  });
});
