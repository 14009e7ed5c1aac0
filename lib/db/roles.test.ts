import { describe, expect, it } from "vitest";

import { appRoleFor, roleOfUrl, sameRoleWarning, urlWithRole } from "./roles";

const app = "postgresql://modelpin_app:secret@db.internal:5432/modelpin";
const owner = "postgresql://modelpin_owner:other@db.internal:5432/modelpin";

describe("database role helpers", () => {
  it("reads the role a URL logs in as", () => {
    expect(roleOfUrl(app)).toBe("modelpin_app");
    expect(roleOfUrl("postgresql://us%40er:x@h/db")).toBe("us@er");
    expect(roleOfUrl("postgresql://db.internal/modelpin")).toBeUndefined();
    expect(roleOfUrl("not a url")).toBeUndefined();
  });

  it("grants to DATABASE_URL's role only when migrations run as another one", () => {
    expect(appRoleFor(app, owner)).toBe("modelpin_app");
    expect(appRoleFor(app, app.replace("secret", "again"))).toBeUndefined();
  });

  it("warns in one line when migrations run as the app's own role, not when the roles differ", () => {
    expect(sameRoleWarning(app, owner)).toBeUndefined();
    const unset = sameRoleWarning(app, undefined);
    expect(unset).toContain("modelpin_app");
    expect(unset).toContain("MIGRATION_DATABASE_URL");
    expect(unset).not.toContain("\n");
    expect(sameRoleWarning(app, app)).toBe(unset);
    expect(sameRoleWarning(undefined, owner)).toBeUndefined();
  });

  it("puts another role and password into a URL, encoded", () => {
    expect(urlWithRole(owner, "modelpin_app", "p@ss word")).toBe("postgresql://modelpin_app:p%40ss%20word@db.internal:5432/modelpin");
  });
});
