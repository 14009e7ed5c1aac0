import { expect, test, type Locator, type Page } from "./fixtures/test";
import { tinyPng } from "../scripts/testing/nyckel";
import { ensureRegistered, forgottenByNyckel, openFunction, registerModel, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

/** Registers a real emulator model id once (another run of this spec may have done it) and returns its option label. */
async function ensureModel(page: Page, modelId: string): Promise<string> {
  return `${await ensureRegistered(page, modelId, "Quick ")} (${modelId})`;
}

/** One side's output: a label, its confidence bars (the top label first), a latency. */
async function expectOutput(side: Locator) {
  await expect(side.getByTestId("quick-label")).not.toBeEmpty();
  await expect(side.getByTestId("quick-latency")).toHaveText(/^\d+ ms$/);
  const bars = side.getByTestId("quick-bar");
  expect(await bars.count()).toBeGreaterThanOrEqual(2);
  await expect(bars.first()).toContainText((await side.getByTestId("quick-label").textContent())!);
  const percents = (await bars.allTextContents()).map((t) => Number(/([\d.]+)%$/.exec(t)?.[1]));
  expect(percents.every((p) => p > 0 && p <= 100)).toBe(true);
  expect(percents).toEqual([...percents].sort((x, y) => y - x));
  return (await side.getByTestId("quick-label").textContent())!;
}

async function expectVerdict(page: Page) {
  const quick = page.getByTestId("quick-compare");
  const a = await expectOutput(quick.getByTestId("quick-result-a"));
  const b = await expectOutput(quick.getByTestId("quick-result-b"));
  await expect(quick.getByTestId("quick-verdict")).toContainText(a === b ? `agree Both models say ${a}.` : `disagree A says ${a}, B says ${b}.`);
}

test("quick compare: one image and one text, both outputs side by side with bars, latency and agreement", async ({ page }) => {
  test.slow(); // two functions, two models to register, four comparisons
  await signInAs(page, "editor");

  // An image function: drop one PNG, the oldest model against latest.
  const pets = await openFunction(page, "pets");
  const oldestPets = await ensureModel(page, pets.modelIds[0]!);
  const quick = page.getByTestId("quick-compare");
  await quick.getByLabel("Model A").selectOption({ label: oldestPets });
  await quick.getByLabel("Model B").selectOption("latest");
  await quick.getByTestId("quick-file").setInputFiles({ name: "red.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(8, 8, [220, 20, 20])) });
  await expect(quick.getByText("red.png")).toBeVisible();
  await quick.getByRole("button", { name: "Compare", exact: true }).click();
  await expect(quick.getByTestId("quick-result-a")).toContainText(pets.modelIds[0]!);
  await expect(quick.getByTestId("quick-result-b")).toContainText("latest");
  await expectVerdict(page);

  // An HTML page renamed .jpg is refused by content, with the reason.
  await quick.getByTestId("quick-file").setInputFiles({ name: "cat.jpg", mimeType: "image/jpeg", buffer: Buffer.from("<!doctype html><html><body>not a cat</body></html>") });
  await quick.getByRole("button", { name: "Compare", exact: true }).click();
  await expect(quick.getByTestId("quick-error")).toHaveText('"cat.jpg" is an HTML page, not an image. Only JPEG, PNG, WebP and GIF images are accepted, recognised by their content, not their file name.');
  await expect(quick.getByTestId("quick-result-a")).toHaveCount(0);

  // A text function: paste one ticket. The emulator is deterministic: its second model and the latest
  // agree on the first ticket and disagree on the second.
  const triage = await openFunction(page, "support-triage");
  const second = await ensureModel(page, triage.modelIds[1]!);
  const quickText = page.getByTestId("quick-compare");
  await quickText.getByLabel("Model A").selectOption({ label: second });
  await quickText.getByLabel("Model B").selectOption("latest");
  for (const [ticket, verdict] of [
    ["Ticket 0: I was charged twice and cannot log in", "agree"],
    ["Ticket 39595: I was charged twice and cannot log in", "disagree"],
  ] as const) {
    await quickText.getByLabel("Text", { exact: true }).fill(ticket);
    await quickText.getByRole("button", { name: "Compare", exact: true }).click();
    await expect(quickText.getByTestId("quick-verdict")).toContainText(new RegExp(`^${verdict} `));
    await expectVerdict(page);
  }
});

test("quick compare: a model id Nyckel rejects fails on its side only; viewers cannot run it", async ({ page, browser }) => {
  await signInAs(page, "editor");
  const triage = await openFunction(page, "support-triage");
  const bogus = { modelId: unique("model_nosuch"), nickname: unique("Typo ") };
  await registerModel(page, bogus);
  await forgottenByNyckel(triage.id, bogus.modelId); // registered while Nyckel knew it; Nyckel no longer does
  const quick = page.getByTestId("quick-compare");
  await quick.getByLabel("Model A").selectOption({ label: `${bogus.nickname} (${bogus.modelId})` });
  await quick.getByLabel("Model B").selectOption("latest");
  await quick.getByLabel("Text", { exact: true }).fill("I want my money back");
  await quick.getByRole("button", { name: "Compare", exact: true }).click();
  await expect(quick.getByTestId("quick-verdict")).toContainText("Only one model answered.");
  await expect(quick.getByTestId("quick-result-a").getByTestId("quick-side-error")).toContainText("Nyckel");
  await expectOutput(quick.getByTestId("quick-result-b"));
  // Empty text: a field message, nothing sent.
  await quick.getByLabel("Text", { exact: true }).fill("   ");
  await quick.getByRole("button", { name: "Compare", exact: true }).click();
  await expect(quick.getByText("Enter a text sample.").first()).toBeVisible();

  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signInAs(viewer, "viewer");
  await viewer.goto(`/functions/${encodeURIComponent(triage.id)}`);
  await expect(viewer.getByRole("heading", { name: triage.name, level: 1 })).toBeVisible();
  await expect(viewer.getByTestId("quick-compare")).toHaveCount(0);
  const origin = new URL(viewer.url()).origin;
  const res = await viewer.request.post(`/api/comparisons/quick?functionId=${triage.id}&a=latest&b=latest`, {
    headers: { "content-type": "image/png", origin },
    data: Buffer.from(tinyPng(2, 2, [1, 2, 3])),
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error).toMatchObject({ code: "forbidden", requestId: expect.any(String) });
  await ctx.close();

  // A cross-site request with the editor's cookie: refused before anything runs (issue 13).
  const attempts: Array<Record<string, string>> = [{ origin: "https://wiki.corp.example" }, { "sec-fetch-site": "cross-site" }, {}];
  for (const headers of attempts) {
    const foreign = await page.request.post(`/api/comparisons/quick?functionId=${triage.id}&a=latest&b=latest`, {
      headers: { "content-type": "image/png", ...headers },
      data: Buffer.from(tinyPng(2, 2, [1, 2, 3])),
    });
    expect(foreign.status()).toBe(403);
    expect((await foreign.json()).error.code).toBe("forbidden_origin");
  }
});
