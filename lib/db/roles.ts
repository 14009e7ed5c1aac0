/**
 * Database roles (README "Security" → "Database roles").
 *
 * - The owner role runs the migrations (MIGRATION_DATABASE_URL, defaulting to
 *   DATABASE_URL): it creates and owns every table, trigger and pg-boss's schema.
 * - The app role connects with DATABASE_URL and owns nothing, so it cannot
 *   disable triggers, truncate, drop or alter; it gets only the grants below,
 *   applied by the migrate step after Prisma's migrations, GENERICALLY (every
 *   table and sequence in the schema), so tables that later migrations add are
 *   covered without editing this file.
 *
 * The embedded PostgreSQL of `npm run dev`, the tests and the benches has both:
 * its bootstrap superuser `postgres` is the owner, `modelpin_app` the app role.
 *
 * Not "server-only": the migration tooling (scripts, tests) imports this.
 */
import type pg from "pg";

import { JOBS_SCHEMA } from "@/lib/jobs/queues";
import { prepareJobsSchema } from "./jobs-schema";
import { quoteIdent, redactUrl, withClient } from "./pg-client";

/** The app role of the embedded PostgreSQL (a local password, like the bootstrap user's). */
export const EMBEDDED_APP_ROLE = "modelpin_app";
export const EMBEDDED_APP_PASSWORD = "modelpin_app";

type TablePrivilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE";

/** What the app role gets on every table of the public schema… */
export const APP_TABLE_PRIVILEGES: readonly TablePrivilege[] = ["SELECT", "INSERT", "UPDATE", "DELETE"];

/**
 * …except these tables (the one list of exceptions): the audit log and its
 * checkpoints are append-only for the app, its head is never deleted, and the
 * migration history is none of its business.
 * A table missing from the database is skipped.
 */
export const APP_TABLE_EXCEPTIONS: Readonly<Record<string, readonly TablePrivilege[]>> = {
  audit_events: ["INSERT", "SELECT"],
  // The audit log's signed head is updated in place, never deleted; its checkpoints are append-only (docs/audit.md).
  audit_head: ["INSERT", "SELECT", "UPDATE"],
  audit_checkpoints: ["INSERT", "SELECT"],
  _prisma_migrations: [],
};

/** The role a connection URL logs in as, or undefined when the URL names none (libpq then uses the OS user). */
export function roleOfUrl(url: string): string | undefined {
  try {
    const user = decodeURIComponent(new URL(url).username);
    return user || undefined;
  } catch {
    return undefined;
  }
}

/** `url` logging in as `role` with `password` (same server and database). */
export function urlWithRole(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(role);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/**
 * The app role the migrate step grants to: DATABASE_URL's role when it differs
 * from the owner's; undefined when both are one role (nothing to grant).
 */
export function appRoleFor(appUrl: string, ownerUrl: string): string | undefined {
  const app = roleOfUrl(appUrl);
  return app !== undefined && app !== roleOfUrl(ownerUrl) ? app : undefined;
}

/**
 * The one-line warning for a production deployment whose migrations run as
 * the app's own role, or undefined when the roles differ.
 */
export function sameRoleWarning(appUrl: string | undefined, migrationUrl: string | undefined): string | undefined {
  if (!appUrl) return undefined;
  const owner = roleOfUrl(migrationUrl ?? appUrl);
  if (migrationUrl !== undefined && roleOfUrl(appUrl) !== owner) return undefined;
  return (
    `Warning: migrations run as DATABASE_URL's role (${owner ?? "the OS user"}), so the app owns its tables and could disable the audit ` +
    "log's triggers: set MIGRATION_DATABASE_URL to an owner role and DATABASE_URL to a role that owns nothing (README, Security)."
  );
}

const DUPLICATE_ROLE = new Set(["42710", "23505"]); // duplicate_object; unique_violation when two sessions race

/**
 * Create the embedded cluster's app role if missing, and put back its
 * attributes if someone changed them: LOGIN, no superuser, no CREATEROLE,
 * CREATEDB, REPLICATION or BYPASSRLS. Idempotent; `adminUrl` is the superuser's.
 */
export async function ensureEmbeddedAppRole(adminUrl: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const role = quoteIdent(EMBEDDED_APP_ROLE);
    const attributes = "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS";
    const found = await client.query<{ ok: boolean }>(
      `SELECT rolcanlogin AND NOT (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls) AS ok
         FROM pg_roles WHERE rolname = $1`,
      [EMBEDDED_APP_ROLE],
    );
    if (found.rows[0]?.ok) return;
    const password = `'${EMBEDDED_APP_PASSWORD.replace(/'/g, "''")}'`;
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE ROLE ${role} ${attributes} PASSWORD ${password}`);
        return;
      } catch (error) {
        if (!DUPLICATE_ROLE.has((error as { code?: string }).code ?? "")) throw error;
      }
    }
    await client.query(`ALTER ROLE ${role} ${attributes} PASSWORD ${password}`);
  });
}

/**
 * Grant the app role exactly what it needs, in one transaction (a running app
 * never sees a moment without its grants): on the public schema USAGE, on
 * every table SELECT/INSERT/UPDATE/DELETE (the exceptions above instead), on
 * every sequence USAGE/SELECT; on pg-boss's schema the same DML and sequence
 * grants, which is all pg-boss needs at run time. Everything else the role
 * held on those objects is revoked first, so the result is the same after
 * every run. Nothing here grants CREATE, TRUNCATE, REFERENCES or TRIGGER.
 */
export async function grantAppPrivileges(client: pg.Client, appRole: string): Promise<void> {
  const app = quoteIdent(appRole);
  const dml = APP_TABLE_PRIVILEGES.join(", ");
  const statements: string[] = [];
  for (const schema of ["public", JOBS_SCHEMA]) {
    const s = quoteIdent(schema);
    statements.push(
      `REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${app}`,
      `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${app}`,
      `GRANT USAGE ON SCHEMA ${s} TO ${app}`,
      `GRANT ${dml} ON ALL TABLES IN SCHEMA ${s} TO ${app}`,
      `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${app}`,
    );
  }
  const present = await client.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = ANY($1)",
    [Object.keys(APP_TABLE_EXCEPTIONS)],
  );
  for (const { name } of present.rows) {
    const table = `public.${quoteIdent(name)}`;
    statements.push(`REVOKE ALL ON ${table} FROM ${app}`);
    const privileges = APP_TABLE_EXCEPTIONS[name] ?? [];
    if (privileges.length > 0) statements.push(`GRANT ${privileges.join(", ")} ON ${table} TO ${app}`);
  }
  await client.query("BEGIN");
  try {
    for (const statement of statements) await client.query(statement);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * What is wrong with `appRole` as an app role, one sentence each (empty: all
 * well): it is a superuser or may create roles or databases, bypasses row
 * security, owns objects in Modelpin's schemas, may create objects there, or
 * is a member of the owner role (and so holds its powers).
 */
export async function appRoleProblems(client: pg.Client, appRole: string): Promise<string[]> {
  const { rows } = await client.query<{
    rolsuper: boolean;
    rolcreaterole: boolean;
    rolcreatedb: boolean;
    rolbypassrls: boolean;
    owned: string | null;
    creates: string | null;
    owner_member: boolean;
  }>(
    `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
            (SELECT string_agg(n.nspname || '.' || c.relname, ', ' ORDER BY c.relname)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relowner = r.oid AND n.nspname IN ('public', $2)) AS owned,
            (SELECT string_agg(n.nspname, ', ' ORDER BY n.nspname) FROM pg_namespace n
              WHERE n.nspname IN ('public', $2) AND has_schema_privilege(r.oid, n.oid, 'CREATE')) AS creates,
            r.oid <> (SELECT oid FROM pg_roles WHERE rolname = current_user) AND pg_has_role(r.oid, current_user, 'USAGE') AS owner_member
       FROM pg_roles r WHERE r.rolname = $1`,
    [appRole, JOBS_SCHEMA],
  );
  const role = rows[0];
  if (!role) return [`the app role "${appRole}" does not exist`];
  const problems: string[] = [];
  if (role.rolsuper) problems.push(`"${appRole}" is a superuser`);
  if (role.rolcreaterole || role.rolcreatedb) problems.push(`"${appRole}" may create roles or databases`);
  if (role.rolbypassrls) problems.push(`"${appRole}" bypasses row security`);
  if (role.owned) problems.push(`"${appRole}" owns ${role.owned}`);
  if (role.creates) problems.push(`"${appRole}" may create objects in the schema ${role.creates} (REVOKE CREATE ON SCHEMA … FROM PUBLIC, ${appRole})`);
  if (role.owner_member) problems.push(`"${appRole}" is a member of the owner role ${JSON.stringify(await currentUser(client))}`);
  return problems;
}

async function currentUser(client: pg.Client): Promise<string> {
  return (await client.query<{ user: string }>("SELECT current_user AS user")).rows[0]!.user;
}

/**
 * The migrate step's last part, as the owner: pg-boss's schema and queues,
 * then the app role's grants and a check of that role (one log line per
 * problem). Without an app role (both URLs one role) only pg-boss's part runs.
 */
export async function prepareForApp(ownerUrl: string, appRole: string | undefined, log: (line: string) => void): Promise<void> {
  await prepareJobsSchema(ownerUrl);
  if (appRole === undefined) return;
  await withClient(ownerUrl, async (client) => {
    const found = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [appRole]);
    if (found.rowCount === 0) {
      throw new Error(
        `The app role "${appRole}" (DATABASE_URL's user) does not exist on ${redactUrl(ownerUrl)}: create it first (README, Security: database roles).`,
      );
    }
    await grantAppPrivileges(client, appRole);
    for (const problem of await appRoleProblems(client, appRole)) log(`Warning: ${problem}: the app role should own nothing and have no special powers.`);
  });
}
