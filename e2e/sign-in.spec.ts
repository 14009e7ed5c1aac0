import { expect, test } from "./fixtures/test";
import { seedUser, signIn, signInAs, type SeedRole } from "./fixtures/users";

const ROLE_LABEL: Record<SeedRole, string> = { admin: "Admin", approver: "Approver", editor: "Editor", viewer: "Viewer" };

test("a signed-out visitor of / gets the server-rendered sign-in page", async ({ request, page }) => {
  const res = await request.get("/", { maxRedirects: 0 });
  expect([302, 303, 307, 308]).toContain(res.status());
  expect(res.headers()["location"]).toContain("/signin");
  const html = await (await request.get("/signin")).text();
  expect(html).toMatch(/<input[^>]*type="password"/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByLabel("Password")).toBeVisible();
});

for (const role of ["admin", "approver", "editor", "viewer"] as const) {
  test(`the seeded ${role} signs in and sees the shell with name and role`, async ({ page }) => {
    const u = await signInAs(page, role);
    await expect(page.getByTestId("current-user")).toContainText(u.name);
    await expect(page.getByTestId("current-role")).toHaveText(ROLE_LABEL[role]);
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const item of ["Functions", "Comparisons", "Promotions", "Audit log", "Settings"]) {
      await expect(nav.getByRole("link", { name: item })).toBeVisible();
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin/);
    await page.goto("/functions");
    await expect(page).toHaveURL(/\/signin/);
  });
}

test("a wrong password shows an error and gives no session", async ({ page }) => {
  const admin = seedUser("admin");
  await signIn(page, admin.email, "not-the-password");
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(admin.email);
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name.includes("session-token"))).toBeUndefined();
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});
