/**
 * Database commands that work offline (no Prisma CLI schema-engine download).
 *
 *   tsx scripts/db.ts deploy                      apply pending migrations
 *   tsx scripts/db.ts migrate --name <name>       create a migration from schema changes and apply it
 *   tsx scripts/db.ts reset [--skip-seed]         drop everything, re-apply all migrations, seed
 *   tsx scripts/db.ts seed                        run prisma/seed.ts
 *   tsx scripts/db.ts status                      compare the migrations folder with the database
 *   tsx scripts/db.ts resolve --rolled-back <m>   after fixing a failed migration (or --applied <m>)
 *
 * Options: --schema <path> (default prisma/schema.prisma), --migrations <dir>
 * (default prisma/migrations), --create-only (migrate: write, do not apply).
 *
 * Database: DATABASE_URL if set, otherwise the embedded PostgreSQL (see
 * scripts/db/database.ts), started for the command and stopped after it unless
 * it was already running. deploy, migrate, reset, status and resolve run as the
 * owner role (MIGRATION_DATABASE_URL, default DATABASE_URL) and then grant the
 * app role (DATABASE_URL's user) what it needs (lib/db/roles.ts); seed runs as the app.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { UsageError } from "./cli/args";
import path from "node:path";
import { migrationRoleWarning, resolveDatabase, type ResolvedDatabase } from "@/scripts/db/database";
import { stopOnSignals } from "@/scripts/db/embedded";
import { closeMigrationConnections, MigrationError, takeEnginePanicMessage } from "@/scripts/db/migration-engine";
import { createMigration, deployMigrations, migrationStatus, resetDatabase, resolveMigration, runSeed } from "@/scripts/db/migrations";
import { redactUrl } from "@/lib/db/pg-client";

const USAGE = `Usage: tsx scripts/db.ts <command> [options]

Commands:
  deploy                   Apply pending migrations.
  migrate --name <name>    Create a migration from changes to the Prisma schema, then apply it.
          [--create-only]  Write the migration without applying it.
  reset [--skip-seed]      Drop everything in the database, re-apply all migrations, run the seed.
  seed                     Run the seed (prisma/seed.ts).
  status                   Show pending, failed and edited migrations.
  resolve --rolled-back <migration> | --applied <migration>
                           Mark a failed migration rolled back (re-applied by the next deploy)
                           or applied (you completed it by hand), like prisma migrate resolve.

Options:
  --schema <path>          Prisma schema (default prisma/schema.prisma).
  --migrations <dir>       Migrations folder (default prisma/migrations).

Uses DATABASE_URL when set (migrations as MIGRATION_DATABASE_URL, the owner role, when set);
otherwise the embedded PostgreSQL (EMBEDDED_PG_DIR, EMBEDDED_PG_PORT).`;

type Args = {
  command: string | undefined;
  name?: string;
  schema?: string;
  migrations?: string;
  skipSeed: boolean;
  createOnly: boolean;
  rolledBack?: string;
  applied?: string;
  help: boolean;
};

function parseCommandLine(argv: string[]): Args {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        name: { type: "string" },
        schema: { type: "string" },
        migrations: { type: "string" },
        "rolled-back": { type: "string" },
        applied: { type: "string" },
        "skip-seed": { type: "boolean" },
        "create-only": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`Unknown argument "${positionals[1]}".`);
  return {
    command: positionals[0],
    name: values.name as string | undefined,
    schema: values.schema as string | undefined,
    migrations: values.migrations as string | undefined,
    rolledBack: values["rolled-back"] as string | undefined,
    applied: values.applied as string | undefined,
    skipSeed: values["skip-seed"] === true,
    createOnly: values["create-only"] === true,
    help: values.help === true,
  };
}

function deployInChild(database: ResolvedDatabase, migrationsDir: string | undefined): void {
  const tsx = path.resolve("node_modules/.bin/tsx");
  const child = spawnSync(tsx, ["--conditions=react-server", __filename, "deploy", ...(migrationsDir ? ["--migrations", migrationsDir] : [])], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DATABASE_URL: database.url, MIGRATION_DATABASE_URL: database.ownerUrl },
    encoding: "utf8",
  });
  for (const line of (child.stdout ?? "").split("\n")) if (line.startsWith("Applied")) console.log(line);
  if (child.status !== 0) throw new Error("Applying the pending migrations failed (see above).");
}

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help || !args.command) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  if (!["deploy", "migrate", "reset", "seed", "status", "resolve"].includes(args.command)) throw new UsageError(`Unknown command "${args.command}".`);
  if (args.command === "migrate" && !args.name) {
    throw new UsageError('migrate needs a name for the migration: --name <name> (e.g. npm run db:migrate -- --name add_members).');
  }

  if (args.command === "resolve" && Boolean(args.rolledBack) === Boolean(args.applied)) {
    throw new UsageError("resolve needs exactly one of --rolled-back <migration> or --applied <migration>.");
  }

  const started = Date.now();
  const database = await resolveDatabase();
  const removeSignalHandlers = stopOnSignals(database);
  console.log(describe(database.source, database.url));
  const warning = migrationRoleWarning(database);
  if (warning) console.log(warning);

  const common = { migrationsDir: args.migrations, log: (line: string) => console.log(line), appRole: database.appRole };
  const owner = database.ownerUrl;
  try {
    switch (args.command) {
      case "deploy":
        await deployMigrations(owner, common);
        break;
      case "migrate":
        // The WASM engine fails to diff after applying pending migrations in the
        // same instance ("shadow DB must be provided through an external
        // factory"), so pending migrations are applied by a child process first.
        deployInChild(database, args.migrations);
        await createMigration(owner, { ...common, name: args.name!, schemaPath: args.schema, createOnly: args.createOnly });
        break;
      case "reset":
        await resetDatabase(owner, common);
        if (!args.skipSeed) await runSeed(database.url, { log: common.log });
        break;
      case "seed":
        await runSeed(database.url, { log: common.log });
        break;
      case "status":
        printStatus(await migrationStatus(owner, common));
        break;
      case "resolve":
        await resolveMigration(owner, {
          ...common,
          migrationName: (args.rolledBack ?? args.applied)!,
          as: args.rolledBack ? "rolled-back" : "applied",
        });
        break;
    }
  } finally {
    await database.stop();
    removeSignalHandlers();
  }
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return 0;
}

function describe(source: "env" | "embedded" | "embedded-reused", url: string): string {
  if (source === "env") return `Database: DATABASE_URL (${redactUrl(url)})${process.env.MIGRATION_DATABASE_URL ? ", migrations as MIGRATION_DATABASE_URL" : ""}`;
  const port = new URL(url).port;
  return source === "embedded"
    ? `Database: embedded PostgreSQL on port ${port} (started for this command)`
    : `Database: embedded PostgreSQL on port ${port} (already running)`;
}

function printStatus(status: Awaited<ReturnType<typeof migrationStatus>>): void {
  console.log(`${status.migrations.length} migration(s) in the folder.`);
  if (!status.hasMigrationsTable) console.log("The database has no _prisma_migrations table yet.");
  const list = (title: string, names: string[]) => {
    if (names.length) console.log(`${title}:\n${names.map((n) => `  ${n}`).join("\n")}`);
  };
  list("Pending", status.pending);
  list("Failed", status.failed);
  list("Edited after being applied", status.edited);
  list("Applied but missing from the folder", status.unknown);
  if (!status.pending.length && !status.failed.length && !status.edited.length && !status.unknown.length) {
    console.log("The database is up to date.");
  }
}

// A panic inside the WASM engine can surface outside the awaited promise.
process.on("uncaughtException", (error) => {
  const panic = takeEnginePanicMessage();
  console.error(panic ? `Error: the migration engine crashed (Rust panic): ${panic}` : error);
  // Drop shadow databases, then exit; the "exit" hook of scripts/db/embedded.ts stops a server started here.
  const timeout = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
  void Promise.race([closeMigrationConnections(), timeout]).finally(() => process.exit(1));
});

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof MigrationError || error instanceof Error) {
      console.error(`Error: ${error.message}`);
      if (process.env.MODELPIN_DEBUG_MIGRATIONS && error.stack) console.error(error.stack);
    } else {
      console.error("Error:", error);
    }
    process.exit(1);
  });
