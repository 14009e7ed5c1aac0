import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "./fixtures/test";
import { signInAs } from "./fixtures/users";

type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };

/** A local receiver for the app server to deliver to (the tests run with MODELPIN_ALLOW_INSECURE_WEBHOOKS=true). */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "/", headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("received by the e2e receiver");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { received, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

test("an admin adds a webhook, sends a test, sees the 200 in the delivery log, and deletes it", async ({ page }) => {
  test.slow(); // one long journey (about 40 steps): three times the default timeout on a busy machine
  const receiver = await startReceiver();
  const name = `E2E hook ${Date.now()}`;
  try {
    await signInAs(page, "admin");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();
    await page.getByRole("button", { name: "Add webhook" }).first().click();

    const form = page.getByRole("form", { name: "Add webhook" });
    await form.getByLabel("Name").fill(name);
    // A plain http:// URL to another host is refused with the rule spelled out; nothing is created.
    await form.getByLabel("URL", { exact: true }).fill("http://example.com/hook");
    await form.getByLabel("Pin changed").uncheck();
    await form.getByRole("button", { name: "Add webhook" }).click();
    await expect(form.getByText("Plain http:// is allowed only for localhost, 127.0.0.1 or ::1")).toBeVisible();
    await expect(form.getByText("Choose at least one event.")).toBeVisible();
    await expect(form.getByLabel("URL", { exact: true })).toHaveAttribute("aria-invalid", "true");
    // An address inside the network (here the cloud metadata service) is refused too, naming the address.
    await form.getByLabel("URL", { exact: true }).fill("https://169.254.169.254/latest/meta-data/");
    await form.getByRole("button", { name: "Add webhook" }).click();
    await expect(form.getByText("That address is link-local (169.254.169.254); webhooks must reach a public address.")).toBeVisible();

    await form.getByLabel("URL", { exact: true }).fill(`${receiver.url}/hook`);
    await form.getByLabel("Pin changed").check();
    await form.getByLabel("Promotion applied").check();
    await form.getByLabel("Format").selectOption("json");
    // Submit from the keyboard.
    await form.getByLabel("Name").press("Enter");

    const created = page.getByTestId("webhook-created");
    await expect(created).toContainText(`Webhook “${name}” added`);
    const secret = await created.getByTestId("webhook-secret").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const row = page.getByTestId(`webhook-row-${name}`);
    await expect(row).toContainText(`${receiver.url}/hook`);
    await expect(row).toContainText("request.applied");
    await expect(row).toContainText("pin.changed");
    await expect(row).toContainText("No deliveries yet");

    await created.getByRole("link", { name: `Open “${name}” to send a test` }).click();
    await expect(page.getByRole("heading", { name, exact: true })).toBeVisible();
    await expect(page.getByText("No deliveries yet")).toBeVisible();
    await page.getByRole("button", { name: "Send test" }).click();
    await expect(page.getByText(/Test delivered: the receiver answered HTTP 200 in \d+ ms\./)).toBeVisible();

    const log = page.getByTestId("delivery-log");
    await expect(log.getByTestId("delivery-row")).toHaveCount(1);
    const first = log.getByTestId("delivery-row").first();
    await expect(first).toContainText("webhook.test");
    await expect(first).toContainText("HTTP 200");
    await expect(first).toContainText("received by the e2e receiver");

    // The receiver got one request, signed as the README says, with the secret the admin was shown.
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.path).toBe("/hook");
    expect(got!.headers["x-modelpin-event"]).toBe("webhook.test");
    const ts = String(got!.headers["x-modelpin-timestamp"]);
    expect(got!.headers["x-modelpin-signature"]).toBe("v1=" + createHmac("sha256", secret).update(`${ts}.${got!.body}`).digest("hex"));
    expect(JSON.parse(got!.body)).toMatchObject({ type: "webhook.test", data: { webhook: { name } } });

    // The revealed secret is the one shown at creation.
    await page.getByRole("button", { name: "Reveal secret" }).click();
    await expect(page.getByTestId("webhook-secret")).toHaveValue(secret);

    await page.getByRole("link", { name: "← All webhooks" }).click();
    await expect(page.getByTestId(`webhook-row-${name}`)).toContainText("HTTP 200");

    // Delete asks first; Cancel keeps it, confirming removes it.
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("button", { name: "Delete webhook" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText(`Delete “${name}”?`);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await page.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete webhook" }).click();
    await expect(page).toHaveURL(/\/settings\/webhooks$/);
    await expect(page.getByTestId(`webhook-row-${name}`)).toHaveCount(0);
  } finally {
    await receiver.close();
  }
});

test("a non-admin cannot open Settings → Webhooks or a webhook's page", async ({ page }) => {
  await signInAs(page, "approver");
  const list = await page.goto("/settings/webhooks");
  expect(list?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  const detail = await page.goto("/settings/webhooks/00000000-0000-4000-8000-000000000000");
  expect(detail?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
});
