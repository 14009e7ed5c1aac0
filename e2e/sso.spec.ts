import { expect, test } from "./fixtures/test";

test.skip(!process.env.OIDC_ISSUER, "OIDC_ISSUER is not set for this run");

test("SSO sign-in through a local OpenID Connect provider lands as a viewer", async ({ page }) => {
  const login = `sso-user-${Date.now()}`;
  await page.goto("/signin");
  await page.getByRole("button", { name: /Sign in with SSO/ }).click();
  // oidc-provider's development login and consent screens.
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any-password");
  await page.locator('button[type="submit"]').click();
  const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
  if (await consent.isVisible({ timeout: 5_000 }).catch(() => false)) await consent.click();
  await expect(page.getByTestId("current-user")).toContainText(`SSO ${login}`, { timeout: 20_000 });
  await expect(page.getByTestId("current-role")).toHaveText("Viewer");
});
