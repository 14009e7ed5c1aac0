import type { Page } from "@playwright/test";
import { seedUser, signInAs } from "./fixtures/users";
import { expect, test } from "./fixtures/test";

test.skip(!process.env.OIDC_ISSUER, "OIDC_ISSUER is not set for this run");

/** Signs in through the local OpenID Connect provider as `login` (see accountClaims in fixtures/oidc-provider.ts). */
async function ssoSignIn(page: Page, login: string) {
  await page.goto("/signin");
  await page.getByRole("button", { name: /Sign in with SSO/ }).click();
  // oidc-provider's development login and consent screens.
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any-password");
  await page.locator('button[type="submit"]').click();
  const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
  if (await consent.isVisible({ timeout: 5_000 }).catch(() => false)) await consent.click();
}

const unique = (name: string) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e4)}`;

test("SSO sign-in through a local OpenID Connect provider lands as a viewer", async ({ page }) => {
  const login = unique("sso-user");
  await ssoSignIn(page, login);
  await expect(page.getByTestId("current-user")).toContainText(`SSO ${login}`, { timeout: 20_000 });
  await expect(page.getByTestId("current-role")).toHaveText("Viewer");
});

test("an identity whose provider has not verified an existing member's email cannot take the account over", async ({ page }) => {
  const admin = seedUser("admin");
  await ssoSignIn(page, `${unique("mallory")};email=${admin.email};unverified;groups=ml-admins`);
  await expect(page).toHaveURL(/\/signin\?error=sso_unverified/, { timeout: 20_000 });
  await expect(page.getByText(/has not verified this email address/)).toBeVisible();
  await expect(page.getByTestId("current-user")).toHaveCount(0);
});

test("a second identity with a linked member's verified email is refused", async ({ page }) => {
  const first = unique("owner");
  await ssoSignIn(page, first);
  await expect(page.getByTestId("current-user")).toContainText(`SSO ${first}`, { timeout: 20_000 });
  await page.context().clearCookies();
  await ssoSignIn(page, `${unique("imposter")};email=${first}@sso.example.com`);
  await expect(page).toHaveURL(/\/signin\?error=sso_email_taken/, { timeout: 20_000 });
  await expect(page.getByText(/this email belongs to an existing member/)).toBeVisible();
});

test("a mapped group gives its role, which the Members page shows read-only", async ({ page }) => {
  const name = unique("approver");
  await ssoSignIn(page, `${name};groups=staff,ml-approvers`);
  await expect(page.getByTestId("current-user")).toContainText(`SSO ${name}`, { timeout: 20_000 });
  await expect(page.getByTestId("current-role")).toHaveText("Approver");

  await page.context().clearCookies();
  await signInAs(page, "admin");
  await page.goto("/settings/members");
  const row = page.getByTestId(`member-${name}@sso.example.com`);
  await expect(row.getByTestId("role-from-sso")).toContainText("Approver");
  await expect(row.getByTestId("role-from-sso")).toContainText("groups claim");
  await expect(row.getByRole("combobox")).toHaveCount(0);
});
