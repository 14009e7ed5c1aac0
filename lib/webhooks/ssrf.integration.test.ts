import { randomBytes } from "node:crypto";
import type dns from "node:dns";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { resetConfigForTests } from "@/lib/env";
import { InvalidInputError } from "@/lib/errors";
import { createMember } from "@/lib/members/service";
import { setOutboundResolverForTests } from "@/lib/net/outbound";
import { FAILURE_TEXT } from "./deliver";
import { createWebhook, deleteWebhook, sendTestWebhook, updateWebhook } from "./service";

/**
 * Webhook URLs that point inside the network: refused when saved, and
 * refused again at connect time when DNS changes after saving (rebinding).
 * DNS is a stub here (setOutboundResolverForTests), so nothing leaves the machine.
 */

let admin: ServiceContext;
const good = { name: "SSRF", events: ["pin.changed" as const], format: "json" as const, active: true };

/** Every name resolves to these addresses. */
function resolveTo(...addresses: string[]) {
  setOutboundResolverForTests((_name, _options, callback) =>
    callback(
      null,
      addresses.map((address): dns.LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })),
    ),
  );
}

async function urlError(promise: Promise<unknown>): Promise<string[] | undefined> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidInputError);
  return (err as InvalidInputError).fieldErrors?.url;
}

beforeAll(async () => {
  process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "true";
  resetConfigForTests();
  const user = await createMember(systemContext("test"), {
    email: `ssrf-admin-${randomBytes(4).toString("hex")}@example.com`,
    name: "SSRF Admin",
    role: "admin",
    password: "ssrf-admin-password",
  });
  admin = { actor: { id: user.id, role: user.role, label: user.email }, requestId: "test-ssrf" };
});

afterEach(() => setOutboundResolverForTests(null));

afterAll(async () => {
  await closePgPool();
  await disconnectPrisma();
});

describe("webhook URLs that reach inside the network", () => {
  it.each([
    ["https://169.254.169.254/latest/meta-data/", "That address is link-local (169.254.169.254); webhooks must reach a public address."],
    ["https://10.0.0.1/", "That address is private (10.0.0.1); webhooks must reach a public address."],
    ["https://[::ffff:127.0.0.1]/", "That address is a loopback address (::ffff:7f00:1); webhooks must reach a public address."],
    ["https://2130706433/", "That address is a loopback address (127.0.0.1); webhooks must reach a public address."],
    ["https://0x7f000001/", "That address is a loopback address (127.0.0.1); webhooks must reach a public address."],
    ["https://127.1/", "That address is a loopback address (127.0.0.1); webhooks must reach a public address."],
    ["https://0177.0.0.1/", "That address is a loopback address (127.0.0.1); webhooks must reach a public address."],
    ["https://192.168.1.20:8443/hook", "That address is private (192.168.1.20); webhooks must reach a public address."],
    ["https://100.64.0.9/", "That address is in the carrier-grade NAT range (100.64.0.9); webhooks must reach a public address."],
    ["https://[fe80::1]/", "That address is link-local (fe80::1); webhooks must reach a public address."],
  ])("are refused when saved without the development flag: %s", async (url, message) => {
    process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "false";
    resetConfigForTests();
    try {
      const before = await prisma.webhook.count();
      expect(await urlError(createWebhook(admin, { ...good, url }))).toEqual([message]);
      expect(await prisma.webhook.count()).toBe(before);
    } finally {
      process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "true";
      resetConfigForTests();
    }
  });

  it("refuses private addresses even with the development flag, which allows only loopback", async () => {
    expect(await urlError(createWebhook(admin, { ...good, url: "https://10.0.0.1/" }))).toEqual([
      "That address is private (10.0.0.1); webhooks must reach a public address.",
    ]);
    const { webhook } = await createWebhook(admin, { ...good, url: "https://127.0.0.1:9/hook", active: false });
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("refuses a name that resolves to a private address, on create and on update", async () => {
    resolveTo("93.184.216.34", "10.20.30.40");
    expect(await urlError(createWebhook(admin, { ...good, url: "https://hooks.internal.example/x" }))).toEqual([
      "That address is private (hooks.internal.example → 10.20.30.40); webhooks must reach a public address.",
    ]);
    resolveTo("93.184.216.34");
    const { webhook } = await createWebhook(admin, { ...good, url: "https://hooks.public.example/x", active: false });
    resolveTo("169.254.169.254");
    expect(await urlError(updateWebhook(admin, { ...good, id: webhook.id, url: "https://metadata.example/x", active: false }))).toEqual([
      "That address is link-local (metadata.example → 169.254.169.254); webhooks must reach a public address.",
    ]);
    await deleteWebhook(admin, { id: webhook.id });
  });

  it("fails at connect time when the saved name now resolves to a private address (DNS rebinding)", async () => {
    resolveTo("93.184.216.34");
    const { webhook } = await createWebhook(admin, { ...good, url: "https://rebind.example/hook", active: false });
    resolveTo("10.0.0.1");
    const result = await sendTestWebhook(admin, { id: webhook.id });
    expect(result).toMatchObject({ ok: false, statusCode: null, error: FAILURE_TEXT.addressRefused });
    const [row] = await prisma.webhookDelivery.findMany({ where: { webhookId: webhook.id } });
    expect(row).toMatchObject({ statusCode: null, error: "Address not allowed: webhooks must reach a public address.", responseBody: null });
    expect(row!.error).not.toContain("10.0.0.1");
    await deleteWebhook(admin, { id: webhook.id });
  });
});
