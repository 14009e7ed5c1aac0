import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, decodeKey, parseConfig } from "./env";

const KEY = Buffer.alloc(32, 7).toString("base64");
const prod = {
  NODE_ENV: "production",
  DATABASE_URL: "postgresql://u:p@db:5432/modelpin",
  AUTH_SECRET: "x".repeat(40),
  MODELPIN_ENCRYPTION_KEY: KEY,
  AUTH_URL: "https://modelpin.example.com",
} as const;

function problems(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env as NodeJS.ProcessEnv);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("configuration", () => {
  it("accepts a complete production environment", () => {
    const c = parseConfig({ ...prod } as NodeJS.ProcessEnv);
    expect(c.isProduction).toBe(true);
    expect(c.PORT).toBe(3000);
    expect(c.NYCKEL_BASE_URL).toBe("https://www.nyckel.com");
    expect(c.oidcEnabled).toBe(false);
  });

  it.each([
    ["DATABASE_URL", { DATABASE_URL: undefined }],
    ["AUTH_SECRET", { AUTH_SECRET: undefined }],
    ["MODELPIN_ENCRYPTION_KEY", { MODELPIN_ENCRYPTION_KEY: undefined }],
    ["AUTH_URL", { AUTH_URL: undefined }],
  ])("in production, a missing %s stops start-up with a message naming it", (name, patch) => {
    const p = problems({ ...prod, ...patch });
    expect(p.join("\n")).toContain(name);
  });

  it.each([
    ["PORT", { PORT: "http" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["AUTH_SECRET", { AUTH_SECRET: "short" }],
    ["MODELPIN_ENCRYPTION_KEY", { MODELPIN_ENCRYPTION_KEY: "not-32-bytes" }],
    ["OIDC_CLIENT_SECRET", { OIDC_ISSUER: "https://login.example.com", OIDC_CLIENT_ID: "id" }],
    ["NYCKEL_CLIENT_SECRET", { NYCKEL_CLIENT_ID: "id" }],
  ])("a bad %s is named", (name, patch) => {
    expect(problems({ ...prod, ...patch }).join("\n")).toContain(name);
  });

  it("outside production generates the secrets once into a private local file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "modelpin-env-"));
    const file = path.join(dir, "nested", "secrets.json");
    const a = parseConfig({ NODE_ENV: "development", MODELPIN_LOCAL_SECRETS_FILE: file } as NodeJS.ProcessEnv);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(a.AUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(decodeKey(a.MODELPIN_ENCRYPTION_KEY)?.length).toBe(32);
    expect(a.AUTH_TRUST_HOST).toBe(true);
    const b = parseConfig({ NODE_ENV: "development", MODELPIN_LOCAL_SECRETS_FILE: file } as NodeJS.ProcessEnv);
    expect(b.AUTH_SECRET).toBe(a.AUTH_SECRET);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ AUTH_SECRET: a.AUTH_SECRET });
  });

  it("decodes 32-byte keys as hex or base64 only", () => {
    expect(decodeKey("ab".repeat(32))?.length).toBe(32);
    expect(decodeKey(KEY)?.length).toBe(32);
    expect(decodeKey("ab".repeat(31))).toBeNull();
    expect(decodeKey(Buffer.alloc(16).toString("base64"))).toBeNull();
  });
});
