import bcrypt from "bcryptjs";
import pg from "pg";
import { expect, test, type Page } from "./fixtures/test";
import { signIn, signInAs, uniqueEmail } from "./fixtures/users";

/**
 * The account page (password change), the sign-in throttle as a browser meets
 * it, and an admin's one-time password. Each test has its own member, written
 * straight into the database.
 */
async function query<T>(sql: string, params: unknown[]): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(sql, params)).rows as T[];
  } finally {
    await db.end();
  }
}

async function newMember(prefix: string, password: string): Promise<{ email: string; name: string }> {
  const email = uniqueEmail(prefix);
  const name = `Acct ${prefix}`;
  await query(`INSERT INTO users (id, email, name, role, password_hash, updated_at) VALUES (gen_random_uuid(), $1, $2, 'editor', $3, now())`, [
    email,
    name,
    await bcrypt.hash(password, 10),
  ]);
  return { email, name };
}

/** Submits the sign-in form already on the page and waits for the server's answer. */
async function submitSignIn(page: Page, password: string) {
  await page.getByLabel("Password").fill(password);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/signin"),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
}

async function fillPasswordForm(page: Page, current: string, next: string, confirm = next) {
  const form = page.locator("form", { has: page.getByRole("button", { name: "Change password" }) });
  await form.getByLabel(/Current password|One-time password/).fill(current);
  await form.getByLabel("New password", { exact: true }).fill(next);
  await form.getByLabel("Confirm new password").fill(confirm);
  await form.getByRole("button", { name: "Change password" }).click();
}

// Each journey signs in several times (bcrypt on a shared machine): more than the default minute.
test.describe.configure({ timeout: 240_000 });

test("a member changes their password: this session stays, their other sessions end, only the new password signs in", async ({ page, browser }) => {
  const first = "first-password-1";
  const second = "second-password-2";
  const m = await newMember("changer", first);
  await signIn(page, m.email, first);
  await expect(page.getByTestId("current-user")).toContainText(m.name);
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, m.email, first);
  await expect(p2.getByTestId("current-user")).toContainText(m.name);

  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await fillPasswordForm(page, first, "too-short");
  await expect(page.getByText("Choose at least 12 characters.")).toBeVisible();
  await fillPasswordForm(page, first, second, `${second}-typo`);
  await expect(page.getByText("The two new passwords differ.")).toBeVisible();
  await fillPasswordForm(page, "not-my-password", second);
  await expect(page.getByText("This is not your current password.")).toBeVisible();
  await fillPasswordForm(page, first, second);
  await expect(page.getByText("Password changed. Your other sessions were signed out.")).toBeVisible();

  await page.goto("/functions");
  await expect(page.getByTestId("current-user")).toContainText(m.name);
  await p2.goto("/functions");
  await expect(p2).toHaveURL(/\/signin/);
  await signIn(p2, m.email, first);
  await expect(p2.getByText("Wrong email or password.")).toBeVisible();
  await signIn(p2, m.email, second);
  await expect(p2.getByTestId("current-user")).toContainText(m.name);
  await other.close();
});

test("after 10 wrong passwords the account is paused from this address, even with the right password, and the page says for how long", async ({ page }) => {
  const password = "right-password-10";
  const m = await newMember("target", password);
  await page.goto("/signin");
  await page.getByLabel("Email").fill(m.email);
  for (let i = 0; i < 10; i++) {
    await submitSignIn(page, `wrong-password-${i}`);
    await expect(page.getByText("Wrong email or password.")).toBeVisible();
    // React resets the form once the action's answer is rendered: only then is the next password safe
    // to type (typed earlier, the reset wipes it and the try is refused as empty, never counted).
    await expect(page.getByLabel("Password")).toHaveValue("");
  }
  await submitSignIn(page, password);
  await expect(page.getByText("Too many failed sign-ins for this account from your network. Sign-in is paused: try again in 15 minutes.")).toBeVisible();
  await page.goto("/functions");
  await expect(page).toHaveURL(/\/signin/);
  // Audited once, with the browser's real address (the server's socket stamp, lib/auth/client-address.ts).
  const events = await query<{ after: { rule: string; address: string; failures: number } }>(
    `SELECT after FROM audit_events WHERE action = 'auth.throttled' AND after->>'email' = $1`,
    [m.email],
  );
  expect(events.map((e) => e.after)).toEqual([expect.objectContaining({ rule: "pair", address: "127.0.0.1", failures: 10 })]);
});

test("an admin sets a one-time password: the member's sessions end, and after signing in with it they must choose their own", async ({ page, browser }) => {
  const original = "original-password-1";
  const own = "my-own-password-22";
  const m = await newMember("forgetful", original);
  const memberContext = await browser.newContext();
  const mp = await memberContext.newPage();
  await signIn(mp, m.email, original);
  await expect(mp.getByTestId("current-user")).toContainText(m.name);

  await signInAs(page, "admin");
  await page.goto("/settings/members");
  await page.getByTestId(`member-${m.email}`).getByRole("button", { name: "Set one-time password" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("all their sessions end");
  await dialog.getByRole("button", { name: "Set one-time password" }).click();
  const oneTime = (await page.getByTestId("one-time-password").textContent())?.trim() ?? "";
  expect(oneTime).toMatch(/^\S{4}(-\S{4}){3}$/);

  await mp.goto("/functions");
  await expect(mp).toHaveURL(/\/signin/);
  await signIn(mp, m.email, original);
  await expect(mp.getByText("Wrong email or password.")).toBeVisible();
  await signIn(mp, m.email, oneTime);
  await expect(mp).toHaveURL(/\/account$/);
  await expect(mp.getByText("An admin set a one-time password for you. Choose your own password to continue.")).toBeVisible();
  await mp.goto("/functions");
  await expect(mp).toHaveURL(/\/account$/);

  await fillPasswordForm(mp, oneTime, own);
  await expect(mp).not.toHaveURL(/\/account$/);
  await mp.goto("/functions");
  await expect(mp).toHaveURL(/\/functions$/);
  await expect(mp.getByTestId("current-user")).toContainText(m.name);
  await memberContext.close();
});
