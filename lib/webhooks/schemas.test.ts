import { describe, expect, it } from "vitest";
import { URL_MESSAGES, checkWebhookUrl, webhookSchemas } from "./schemas";

const strict = { allowInsecure: false };
const insecure = { allowInsecure: true };

describe("webhook URL rule", () => {
  it("accepts https:// URLs (normalized)", () => {
    expect(checkWebhookUrl("https://hooks.example.com/modelpin?team=ml", strict)).toEqual({ ok: true, url: "https://hooks.example.com/modelpin?team=ml" });
    expect(checkWebhookUrl("  HTTPS://Hooks.Example.com  ", strict)).toEqual({ ok: true, url: "https://hooks.example.com/" });
    expect(checkWebhookUrl("https://93.184.216.34:8443/hook", strict)).toEqual({ ok: true, url: "https://93.184.216.34:8443/hook" });
  });

  it("refuses http:// without MODELPIN_ALLOW_INSECURE_WEBHOOKS, even for localhost", () => {
    expect(checkWebhookUrl("http://example.com/hook", strict)).toEqual({ ok: false, message: URL_MESSAGES.insecure });
    expect(checkWebhookUrl("http://localhost:4000/hook", strict)).toEqual({ ok: false, message: URL_MESSAGES.insecure });
    expect(URL_MESSAGES.insecure).toContain("localhost, 127.0.0.1 or ::1");
    expect(URL_MESSAGES.insecure).toContain("MODELPIN_ALLOW_INSECURE_WEBHOOKS=true");
  });

  it("allows http:// to loopback hosts only when the flag is set", () => {
    expect(checkWebhookUrl("http://localhost:4000/hook", insecure)).toEqual({ ok: true, url: "http://localhost:4000/hook" });
    expect(checkWebhookUrl("http://127.0.0.1:4000/hook", insecure)).toEqual({ ok: true, url: "http://127.0.0.1:4000/hook" });
    expect(checkWebhookUrl("http://[::1]:4000/hook", insecure)).toEqual({ ok: true, url: "http://[::1]:4000/hook" });
  });

  it("refuses http:// to any other host even with the flag", () => {
    for (const url of ["http://example.com/hook", "http://10.0.0.5/hook", "http://localhost.example.com/", "http://127.0.0.2/"]) {
      expect(checkWebhookUrl(url, insecure)).toEqual({ ok: false, message: URL_MESSAGES.insecureHost });
    }
  });

  it.each([
    ["https://169.254.169.254/latest/meta-data/", "link-local (169.254.169.254)"],
    ["https://10.0.0.1/", "private (10.0.0.1)"],
    ["https://[::ffff:127.0.0.1]/", "a loopback address (::ffff:7f00:1)"],
    ["https://2130706433/", "a loopback address (127.0.0.1)"],
    ["https://0x7f000001/", "a loopback address (127.0.0.1)"],
    ["https://127.1/", "a loopback address (127.0.0.1)"],
    ["https://0177.0.0.1/", "a loopback address (127.0.0.1)"],
    ["https://localhost/hook", "a loopback address (localhost)"],
    ["https://100.64.1.1/", "in the carrier-grade NAT range (100.64.1.1)"],
    ["https://[fd00::1]/", "a unique-local (private) IPv6 address (fd00::1)"],
    ["https://0.0.0.0/", "unspecified (0.0.0.0)"],
  ])("refuses %s: the address is %s", (url, what) => {
    expect(checkWebhookUrl(url, strict)).toEqual({ ok: false, message: `That address is ${what}; webhooks must reach a public address.` });
  });

  it("allows https:// to loopback, but no other private address, with the flag", () => {
    expect(checkWebhookUrl("https://127.0.0.1:8443/hook", insecure)).toEqual({ ok: true, url: "https://127.0.0.1:8443/hook" });
    expect(checkWebhookUrl("https://10.0.0.1/", insecure)).toEqual({ ok: false, message: "That address is private (10.0.0.1); webhooks must reach a public address." });
  });

  it("refuses garbage, other schemes and credentials", () => {
    for (const url of ["", "   ", "not a url", "example.com/hook", "https://", "https:example.com", "//example.com", "https://exa mple.com/"]) {
      const r = checkWebhookUrl(url, insecure);
      expect(r.ok, url).toBe(false);
    }
    expect(checkWebhookUrl("", strict)).toEqual({ ok: false, message: URL_MESSAGES.missing });
    expect(checkWebhookUrl("not a url", strict)).toEqual({ ok: false, message: URL_MESSAGES.garbage });
    for (const url of ["ftp://example.com/x", "javascript:alert(1)", "file:///etc/passwd", "ws://localhost/x"]) {
      expect(checkWebhookUrl(url, insecure)).toEqual({ ok: false, message: URL_MESSAGES.scheme });
    }
    expect(checkWebhookUrl("https://user:pass@example.com/hook", strict)).toEqual({ ok: false, message: URL_MESSAGES.credentials });
    expect(checkWebhookUrl(`https://example.com/${"a".repeat(2100)}`, strict)).toEqual({ ok: false, message: URL_MESSAGES.tooLong });
  });
});

describe("webhook form schema", () => {
  const { create } = webhookSchemas(strict);
  const good = { name: " Platform ", url: "https://hooks.example.com/x", events: ["pin.changed", "request.opened"], format: "json", active: true };

  it("trims, normalizes and orders events as the catalogue does", () => {
    const r = create.parse({ ...good, events: ["pin.changed", "request.opened", "pin.changed"] });
    expect(r).toEqual({ name: "Platform", url: "https://hooks.example.com/x", events: ["request.opened", "pin.changed"], format: "json", active: true });
  });

  it("gives one clear message per bad field", () => {
    const r = create.safeParse({ name: "", url: "http://example.com", events: [], format: "xml", active: true });
    expect(r.success).toBe(false);
    const byField = Object.fromEntries(r.error!.issues.map((i) => [String(i.path[0]), i.message]));
    expect(byField).toEqual({
      name: "Enter a name, for example “Platform team Slack”.",
      url: URL_MESSAGES.insecure,
      events: "Choose at least one event.",
      format: "Choose JSON or Slack-compatible.",
    });
    expect(create.safeParse({ ...good, events: ["pin.deleted"] }).error?.issues[0]?.message).toMatch(/^Unknown event/);
  });
});
