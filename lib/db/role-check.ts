import "server-only";
import { withClient } from "./pg-client";
import { sameRoleWarning } from "./roles";

/**
 * The production start-up check of the database roles (README, Security):
 * one warning line when migrations run as the app's own role.
 *
 * With MIGRATION_DATABASE_URL set, the two URLs' roles are compared. Without
 * it (an app process need not know the owner's password), the database says
 * whether the app's role is a superuser or owns Modelpin's tables, which is
 * what running the migrations as that role leaves behind. A database that does
 * not answer gives no warning (the health checks report that).
 */
export async function migrationRoleWarningAtStart(appUrl: string, migrationUrl: string | undefined): Promise<string | undefined> {
  if (migrationUrl !== undefined) return sameRoleWarning(appUrl, migrationUrl);
  try {
    const ownsTables = await withClient(
      appUrl,
      async (client) =>
        (
          await client.query<{ owns: boolean }>(
            `SELECT r.rolsuper OR EXISTS (
               SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relowner = r.oid AND n.nspname = 'public' AND c.relkind IN ('r', 'p')
             ) AS owns
             FROM pg_roles r WHERE r.rolname = current_user`,
          )
        ).rows[0]?.owns === true,
      3_000,
    );
    return ownsTables ? sameRoleWarning(appUrl, undefined) : undefined;
  } catch {
    return undefined;
  }
}
