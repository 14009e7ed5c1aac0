import { expect, test, type Page } from "./fixtures/test";
import { signIn, signInAs, uniqueEmail } from "./fixtures/users";

async function addMember(page: Page, m: { email: string; name: string; role: string; password: string }) {
  const form = page.locator("form", { has: page.getByRole("button", { name: "Add member" }) });
  await form.getByLabel("Email").fill(m.email);
  await form.getByLabel("Name").fill(m.name);
  await form.getByLabel("Role").selectOption(m.role);
  await form.getByLabel("Initial password").fill(m.password);
  await form.getByRole("button", { name: "Add member" }).click();
}

test("an admin adds a member who can then sign in, with the chosen role", async ({ page, browser }) => {
  await signInAs(page, "admin");
  await page.goto("/settings/members");
  const email = uniqueEmail("new-editor");
  await addMember(page, { email, name: "Nora New", role: "editor", password: "correct-horse-battery" });
  await expect(page.getByText(`${email} was added`)).toBeVisible();
  await expect(page.getByTestId(`member-${email}`)).toContainText("Nora New");

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, email, "correct-horse-battery");
  await expect(p2.getByTestId("current-user")).toContainText("Nora New");
  await expect(p2.getByTestId("current-role")).toHaveText("Editor");
  await other.close();
});

test("bad input gets field errors and a duplicate email a clear conflict", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/settings/members");
  await addMember(page, { email: "not-an-email", name: "", role: "viewer", password: "short" });
  await expect(page.getByText("Enter a valid email address")).toBeVisible();
  await expect(page.getByText("Enter a name.")).toBeVisible();
  await expect(page.getByText("Passwords are at least 10 characters.")).toBeVisible();

  await addMember(page, { email: "viewer@modelpin.local", name: "Dup", role: "viewer", password: "long-enough-password" });
  await expect(page.getByText("A member with the email viewer@modelpin.local already exists.")).toBeVisible();
});

test("a deactivated member cannot sign in; the last admin cannot be demoted", async ({ page, browser }) => {
  await signInAs(page, "admin");
  await page.goto("/settings/members");
  const email = uniqueEmail("leaver");
  await addMember(page, { email, name: "Lee Leaver", role: "viewer", password: "leaver-password-1" });
  const row = page.getByTestId(`member-${email}`);
  await row.getByRole("button", { name: "Deactivate" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("can no longer sign in");
  await dialog.getByRole("button", { name: "Deactivate" }).click();
  await expect(row).toContainText("Deactivated");

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, email, "leaver-password-1");
  await expect(p2.getByText("This account is deactivated")).toBeVisible();
  await other.close();

  // The seeded admin is the only admin: changing their own role is refused.
  const me = page.getByTestId("member-admin@modelpin.local");
  await me.getByLabel(/Role of/).selectOption("viewer");
  await expect(page.getByText("You cannot change the role of the last active admin")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("member-admin@modelpin.local").getByLabel(/Role of/)).toHaveValue("admin");
});

test("a viewer gets 'not allowed' on Members, and a direct call of the create-member action is refused", async ({ page, browser }) => {
  // Capture the real server-action request the admin's form sends.
  await signInAs(page, "admin");
  await page.goto("/settings/members");
  const adminEmail = uniqueEmail("admin-made");
  const actionRequest = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await addMember(page, { email: adminEmail, name: "Made By Admin", role: "viewer", password: "made-by-admin-1" });
  const captured = await actionRequest;
  await expect(page.getByText(`${adminEmail} was added`)).toBeVisible();
  const headers = captured.headers();
  const body = captured.postData()!;

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signInAs(viewer, "viewer");
  const res = await viewer.goto("/settings/members");
  expect(res?.status()).toBe(403);
  await expect(viewer.getByRole("heading", { name: "Not allowed" })).toBeVisible();

  // Replay the action as the viewer, with a new email, outside the UI.
  const sneaky = uniqueEmail("sneaky");
  const direct = await viewer.request.post("/settings/members", {
    headers: { "next-action": headers["next-action"]!, "content-type": headers["content-type"]!, accept: "text/x-component" },
    data: body.replace(adminEmail, sneaky),
  });
  const text = await direct.text();
  expect(text).toContain("You are not allowed to do this.");
  expect(text).not.toContain(sneaky);
  await viewerContext.close();

  await page.reload();
  await expect(page.getByTestId(`member-${adminEmail}`)).toBeVisible();
  await expect(page.getByTestId(`member-${sneaky}`)).toHaveCount(0);
});
