import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { resetConfigForTests } from "@/lib/env";
import { InvalidInputError, UpstreamError } from "@/lib/errors";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "@/scripts/emulator/state";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { BASE_URL_MESSAGES, SECRET_MESSAGES } from "./schemas";
import { saveNyckelSettings, testNyckelConnection } from "./service";

/**
 * Settings → Nyckel against the real PostgreSQL and the emulator: the stored
 * secret never goes to a base URL other than the saved one, base URLs must be
 * https and public, and tests of the connection are audited without the secret.
 */

const emulator = emulatorAsNyckelForFile();
const sys = systemContext("test");

/** Another "Nyckel" on loopback that records whatever reaches it. */
let other: http.Server;
let otherUrl: string;
const reached: { url: string; body: string }[] = [];

beforeAll(async () => {
  other = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      reached.push({ url: req.url ?? "", body });
      res.writeHead(401, { "content-type": "application/json" }).end('{"message":"nope"}');
    });
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => other.close(r));
});

async function fieldErrors(promise: Promise<unknown>): Promise<Record<string, string[]> | undefined> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidInputError);
  return (err as InvalidInputError).fieldErrors;
}

const stored = () => prisma.nyckelSettings.findUniqueOrThrow({ where: { id: 1 }, select: { baseUrl: true, clientId: true, secretCiphertext: true } });
const auditCount = () => prisma.auditEvent.count({ where: { action: { in: ["nyckel.connection_tested", "nyckel.credentials_changed"] } } });

describe("the saved Nyckel secret stays with the saved base URL", () => {
  it("'Test connection' with a new base URL and no secret is refused, and nothing is sent there", async () => {
    const before = await auditCount();
    expect(await fieldErrors(testNyckelConnection(sys, { baseUrl: otherUrl, clientId: DEFAULT_CLIENT_ID, clientSecret: "" }))).toEqual({
      clientSecret: [SECRET_MESSAGES.again],
    });
    expect(reached).toEqual([]);
    expect(await auditCount()).toBe(before);
  });

  it("'Save' with a new base URL and no secret is refused and changes nothing", async () => {
    const before = await stored();
    expect(await fieldErrors(saveNyckelSettings(sys, { baseUrl: `${otherUrl}/`, clientId: DEFAULT_CLIENT_ID, clientSecret: "" }))).toEqual({
      clientSecret: [SECRET_MESSAGES.again],
    });
    expect(await stored()).toEqual(before);
    expect(reached).toEqual([]);
  });

  it("the same base URL (written differently) keeps the saved secret", async () => {
    const before = await stored();
    await saveNyckelSettings(sys, { baseUrl: `${emulator().url.toUpperCase().replace("HTTP://", "http://")}/`, clientId: DEFAULT_CLIENT_ID, clientSecret: "" });
    expect(await stored()).toEqual(before);
  });

  it("a secret typed in goes to the new base URL; the test and its result are audited without the secret", async () => {
    const typed = "typed-for-the-other-url";
    const err = await testNyckelConnection(sys, { baseUrl: otherUrl, clientId: DEFAULT_CLIENT_ID, clientSecret: typed }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(reached.length).toBeGreaterThan(0);
    const ok = await testNyckelConnection(sys, { baseUrl: emulator().url, clientId: DEFAULT_CLIENT_ID, clientSecret: "" });
    expect(ok).toMatchObject({ ok: true });

    const events = await prisma.auditEvent.findMany({ where: { action: "nyckel.connection_tested" }, orderBy: { id: "desc" }, take: 2 });
    expect(events.map((e) => e.after)).toEqual([
      { baseUrl: emulator().url, clientId: DEFAULT_CLIENT_ID, secret: "saved", result: "ok", functionCount: ok.functionCount },
      { baseUrl: otherUrl, clientId: DEFAULT_CLIENT_ID, secret: "entered", result: "failed", error: expect.stringContaining("rejected the client id or secret") },
    ]);
    const all = JSON.stringify(events.map((e) => [e.before, e.after, e.reason]));
    expect(all).not.toContain(typed);
    expect(all).not.toContain(DEFAULT_CLIENT_SECRET);
  });
});

describe("the Nyckel base URL must be https and public", () => {
  it.each([
    ["https://169.254.169.254", "That address is link-local (169.254.169.254); the Nyckel base URL must reach a public address."],
    ["https://10.0.0.1", "That address is private (10.0.0.1); the Nyckel base URL must reach a public address."],
    ["https://[fd00::5]", "That address is a unique-local (private) IPv6 address (fd00::5); the Nyckel base URL must reach a public address."],
    ["http://www.nyckel.com", BASE_URL_MESSAGES.insecure],
    ["https://user:pw@www.nyckel.com", BASE_URL_MESSAGES.credentials],
  ])("refuses %s even with a secret typed in", async (baseUrl, message) => {
    const before = await stored();
    expect(await fieldErrors(saveNyckelSettings(sys, { baseUrl, clientId: DEFAULT_CLIENT_ID, clientSecret: "s3cret" }))).toEqual({ baseUrl: [message] });
    expect(await fieldErrors(testNyckelConnection(sys, { baseUrl, clientId: DEFAULT_CLIENT_ID, clientSecret: "s3cret" }))).toEqual({ baseUrl: [message] });
    expect(await stored()).toEqual(before);
  });

  it("refuses loopback (the emulator's http:// too) without MODELPIN_ALLOW_INSECURE_WEBHOOKS", async () => {
    process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "false";
    resetConfigForTests();
    try {
      expect(await fieldErrors(testNyckelConnection(sys, { baseUrl: emulator().url, clientId: DEFAULT_CLIENT_ID, clientSecret: "" }))).toEqual({
        baseUrl: [BASE_URL_MESSAGES.insecure],
      });
      expect(await fieldErrors(saveNyckelSettings(sys, { baseUrl: "https://2130706433", clientId: DEFAULT_CLIENT_ID, clientSecret: "s3cret" }))).toEqual({
        baseUrl: ["That address is a loopback address (127.0.0.1); the Nyckel base URL must reach a public address."],
      });
    } finally {
      process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "true";
      resetConfigForTests();
    }
  });
});
