import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseSsoPolicy, type SsoPolicy } from "@/lib/auth/sso-config";

/**
 * The one configuration module: every environment variable Modelpin reads is
 * declared and validated here; `process.env` is read nowhere else in app code.
 *
 * Outside production, missing secrets (AUTH_SECRET, MODELPIN_ENCRYPTION_KEY)
 * are generated once and kept in a git-ignored local file, so a new user sets
 * nothing. In production a missing or bad required value is an error that
 * names the variable.
 */

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const port = z.coerce.number().int().min(1).max(65535);

const encryptionKey = z.string().refine(
  (v) => decodeKey(v) !== null,
  "must be 32 bytes, as 64 hex characters or base64 (generate one with `openssl rand -base64 32`)",
);

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL");

/** Where the database is: also all the database tooling reads (scripts/db/database.ts, `databaseSettings`). */
const databaseShape = {
  DATABASE_URL: postgresUrl.optional(),
  /** The owner role's URL that migrations run as (README, Security: database roles); default DATABASE_URL. */
  MIGRATION_DATABASE_URL: postgresUrl.optional(),
  /** The embedded PostgreSQL that `npm run dev`, `db:*` and the benches start when DATABASE_URL is unset. */
  EMBEDDED_PG_DIR: z.string().min(1).default(".data/postgres"),
  EMBEDDED_PG_PORT: port.default(54329),
};

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    ...databaseShape,
    PORT: port.default(3000),
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    AUTH_URL: z.url().optional(),
    AUTH_TRUST_HOST: bool.optional(),
    /** The sign-in throttle takes the client address from X-Forwarded-For's first entry (set it only behind a proxy that sets that header). */
    MODELPIN_TRUST_PROXY: bool.default(false),
    MODELPIN_ENCRYPTION_KEY: encryptionKey.optional(),
    OIDC_ISSUER: z.url().optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_NAME: z.string().min(1).default("SSO"),
    /** SSO rules (README "SSO settings"): allowed email domains, the groups claim and its group=role map. */
    OIDC_ALLOWED_DOMAINS: z.string().optional(),
    OIDC_ROLES_CLAIM: z.string().regex(/^[A-Za-z0-9_:./-]+$/, "must be a claim name, like groups").optional(),
    OIDC_ROLE_MAP: z.string().optional(),
    OIDC_REQUIRE_ROLE: bool.default(false),
    NYCKEL_BASE_URL: z.url().default("https://www.nyckel.com"),
    NYCKEL_CLIENT_ID: z.string().min(1).optional(),
    NYCKEL_CLIENT_SECRET: z.string().min(1).optional(),
    NYCKEL_EMULATOR_PORT: port.default(4010),
    /** Set by `npm run dev` / `npm test` when they start the emulator: the fallback Nyckel when nothing else is configured. */
    NYCKEL_EMULATOR_URL: z.url().optional(),
    NYCKEL_EMULATOR_CLIENT_ID: z.string().min(1).default("modelpin-emulator"),
    NYCKEL_EMULATOR_CLIENT_SECRET: z.string().min(1).default("modelpin-emulator-secret"),
    NYCKEL_RATE_LIMIT_RPS: z.coerce.number().positive().default(25),
    NYCKEL_MAX_CONCURRENCY: z.coerce.number().int().positive().default(25),
    NYCKEL_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
    /** Nyckel budget (docs/budget.md): serving's share while it is active, lease renewal, and serving's longest wait for a permit. */
    NYCKEL_SERVING_RESERVE: z.coerce.number().min(0).max(1).default(0.4),
    NYCKEL_BUDGET_RENEW_MS: z.coerce.number().int().min(50).max(1_000).default(150),
    NYCKEL_BUDGET_LEASE_MS: z.coerce.number().int().min(200).max(10_000).default(1_000),
    NYCKEL_SERVING_MAX_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(250),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    MODELPIN_ALLOW_INSECURE_WEBHOOKS: bool.default(false),
    /** Webhook retries: attempts in all (first try included), and the base delay of pg-boss's exponential backoff. */
    MODELPIN_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
    MODELPIN_WEBHOOK_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(1),
    /** Delivery log rows and dispatched webhook events older than this many days are deleted once a day. */
    MODELPIN_WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /** How often the audit chain's signed head goes out as an `audit.checkpoint` webhook event (docs/audit.md). */
    MODELPIN_AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(60).max(604_800).default(3600),
    /** How often the job workers sync functions and Nyckel's current model (drift watch); the first sync runs when the workers start. */
    MODELPIN_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(2).max(86_400).default(600),
    /** "off" keeps job workers (comparison runs) out of the web process; run `npm run worker` instead. */
    MODELPIN_WORKERS: z.enum(["on", "off"]).default("on"),
    /**
     * What this process does (docs/scaling.md): all (default), web (dashboard and APIs, no job workers),
     * serve (only the invoke proxy, the resolve API, /api/health and /metrics), worker (`npm run worker`).
     * Unset with MODELPIN_WORKERS=off means web.
     */
    MODELPIN_ROLE: z.enum(["all", "web", "serve", "worker"]).optional(),
    /** Production: the invoke proxy answers ahead of Next's request pipeline (docs/serving.md, "Performance"); off: through the route handler. */
    MODELPIN_INVOKE_FAST_PATH: z.enum(["on", "off"]).default("on"),
    /** Database timeouts (lib/db/timeouts.ts): connecting, one statement, waiting for a lock, idle inside a transaction. */
    MODELPIN_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
    MODELPIN_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(2_500),
    MODELPIN_DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(2_000),
    MODELPIN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
    /** pg-boss's statement timeout: its maintenance queries are longer than the app's. */
    MODELPIN_JOBS_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    /** After a database timeout, new queries fail at once for this long while a probe checks for recovery. */
    MODELPIN_DB_BREAKER_OPEN_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
    MODELPIN_LOCAL_SECRETS_FILE: z.string().min(1).default(".data/local-secrets.json"),
    /** Diagnostics: when set, the server appends its memory and event-loop delay to this file every 50 ms (`npm run bench:upload`). */
    MODELPIN_MEMORY_SAMPLE_FILE: z.string().min(1).optional(),
    /** Turns on GET /metrics (Prometheus), which then requires `Authorization: Bearer <this>`; unset: /metrics is 404. */
    MODELPIN_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").regex(/^\S+$/, "must not contain spaces").optional(),
  })
  .superRefine((v, ctx) => {
    const oidc = [v.OIDC_ISSUER, v.OIDC_CLIENT_ID, v.OIDC_CLIENT_SECRET];
    if (oidc.some(Boolean) && !oidc.every(Boolean)) {
      for (const key of ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const) {
        if (!v[key]) ctx.addIssue({ code: "custom", path: [key], message: "is required when any OIDC_* variable is set" });
      }
    }
    if (Boolean(v.NYCKEL_CLIENT_ID) !== Boolean(v.NYCKEL_CLIENT_SECRET)) {
      const key = v.NYCKEL_CLIENT_ID ? "NYCKEL_CLIENT_SECRET" : "NYCKEL_CLIENT_ID";
      ctx.addIssue({ code: "custom", path: [key], message: "is required when the other NYCKEL_CLIENT_* variable is set" });
    }
  });

export type RawEnv = z.infer<typeof schema>;

export type Config = Omit<RawEnv, "AUTH_SECRET" | "MODELPIN_ENCRYPTION_KEY" | "AUTH_TRUST_HOST"> & {
  /** OIDC_ALLOWED_DOMAINS, OIDC_ROLES_CLAIM, OIDC_ROLE_MAP and OIDC_REQUIRE_ROLE, parsed. */
  sso: SsoPolicy;
  AUTH_SECRET: string;
  MODELPIN_ENCRYPTION_KEY: string;
  AUTH_TRUST_HOST: boolean;
  isProduction: boolean;
  /** true when NYCKEL_CLIENT_ID/SECRET come from the environment. */
  nyckelFromEnv: boolean;
  oidcEnabled: boolean;
  /** MODELPIN_ROLE, or web when only MODELPIN_WORKERS=off is set. */
  role: "all" | "web" | "serve" | "worker";
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function decodeKey(value: string): Buffer | null {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const buf = Buffer.from(v, "base64");
    if (buf.length === 32) return buf;
  }
  return null;
}

function emptyToUndefined(source: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(source)) out[k] = v === "" ? undefined : v;
  return out;
}

type LocalSecrets = { AUTH_SECRET: string; MODELPIN_ENCRYPTION_KEY: string };

/** Reads (or creates once) the git-ignored file of development secrets. */
export function loadLocalSecrets(file: string): LocalSecrets {
  const abs = path.resolve(file);
  if (existsSync(abs)) {
    const parsed = JSON.parse(readFileSync(abs, "utf8")) as Partial<LocalSecrets>;
    if (parsed.AUTH_SECRET && parsed.MODELPIN_ENCRYPTION_KEY) return parsed as LocalSecrets;
  }
  const secrets: LocalSecrets = {
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    MODELPIN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  chmodSync(abs, 0o600);
  return secrets;
}

/** Parses an environment into a Config. Pure apart from the local-secrets file. */
export function parseConfig(source: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(emptyToUndefined(source));
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(env)"} ${i.message}`));
  }
  const v = result.data;
  const isProduction = v.NODE_ENV === "production";
  const sso = parseSsoPolicy(v);
  if (!sso.ok) throw new ConfigError(sso.problems);
  let authSecret = v.AUTH_SECRET;
  let encryptionKeyValue = v.MODELPIN_ENCRYPTION_KEY;
  if (isProduction) {
    const problems: string[] = [];
    if (!v.DATABASE_URL) problems.push("DATABASE_URL is required in production");
    if (!authSecret) problems.push("AUTH_SECRET is required in production (at least 32 characters)");
    if (!encryptionKeyValue) problems.push("MODELPIN_ENCRYPTION_KEY is required in production (32 bytes, hex or base64)");
    if (!v.AUTH_URL && !v.AUTH_TRUST_HOST) problems.push("AUTH_URL or AUTH_TRUST_HOST=true is required in production");
    if (problems.length) throw new ConfigError(problems);
  } else if (!authSecret || !encryptionKeyValue) {
    const local = loadLocalSecrets(v.MODELPIN_LOCAL_SECRETS_FILE);
    authSecret ??= local.AUTH_SECRET;
    encryptionKeyValue ??= local.MODELPIN_ENCRYPTION_KEY;
  }
  return {
    ...v,
    AUTH_SECRET: authSecret!,
    MODELPIN_ENCRYPTION_KEY: encryptionKeyValue!,
    // Outside production the app trusts the host it is served on, so any PORT works.
    AUTH_TRUST_HOST: v.AUTH_TRUST_HOST ?? !isProduction,
    isProduction,
    sso: sso.value,
    nyckelFromEnv: Boolean(v.NYCKEL_CLIENT_ID && v.NYCKEL_CLIENT_SECRET),
    oidcEnabled: Boolean(v.OIDC_ISSUER && v.OIDC_CLIENT_ID && v.OIDC_CLIENT_SECRET),
    role: v.MODELPIN_ROLE ?? (v.MODELPIN_WORKERS === "off" ? "web" : "all"),
  };
}

export type DatabaseSettings = z.infer<z.ZodObject<typeof databaseShape>>;

/**
 * Only the database variables, validated as `parseConfig` validates them: for the tooling
 * (migrations, the embedded PostgreSQL), which must not need the app's secrets.
 */
export function databaseSettings(source: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  const result = z.object(databaseShape).safeParse(emptyToUndefined(source));
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(env)"} ${i.message}`));
  }
  return result.data;
}

let cached: Config | undefined;

/** The process's configuration, validated on first use. */
export function env(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** DATABASE_URL, or an error naming the variable. */
export function requireDatabaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new ConfigError([
      "DATABASE_URL is not set: start the app with `npm run dev` (which starts an embedded PostgreSQL) or set DATABASE_URL",
    ]);
  }
  return url;
}

/** For tests: forget the cached configuration. */
export function resetConfigForTests(): void {
  cached = undefined;
}
