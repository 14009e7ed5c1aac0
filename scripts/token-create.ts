/**
 * `npm run token:create -- --environment <slug> --name <name> [--expires-in-days N] [--scopes read,invoke]`
 *
 * Creates an environment API token against DATABASE_URL (or the embedded
 * development database when it is unset) and prints ONLY the token on stdout,
 * so `TOKEN=$(npm run -s token:create -- …)` works (`-s`: npm itself prints
 * a banner on stdout otherwise). Everything else goes to
 * stderr. The audit log records the creation with the actor "cli".
 *
 * Exit codes: 0 created; 1 bad arguments, unknown environment or invalid input;
 * 2 anything unexpected (e.g. the database cannot be reached).
 */
import { withAppDatabase } from "./cli/app-database";
import { parseOptions, UsageError } from "./cli/args";
import { DEFAULT_TOKEN_SCOPES, parseScopeList, TOKEN_SCOPES, type TokenScope } from "../lib/tokens/scopes";

const USAGE = `Usage: npm run token:create -- --environment <slug> --name <name> [--expires-in-days N] [--scopes read,invoke]

Creates an API token for one environment and prints only the token on stdout
(npm -s keeps npm's own banner off stdout: TOKEN=$(npm run -s token:create -- …)).

  --environment <slug>     The environment the token may read and invoke for (e.g. production).
  --name <name>            What the token is for (e.g. "checkout service").
  --expires-in-days <N>    Optional: the token stops working after N days (1-3650).
  --scopes <list>          Optional, comma-separated: ${TOKEN_SCOPES.join(", ")} (default ${DEFAULT_TOKEN_SCOPES.join(",")}).
                           read: resolve pins; invoke: the proxy; evaluate: register models, upload
                           sample sets, run comparisons; request: open and cancel promotion requests.

Uses DATABASE_URL when set; otherwise the embedded PostgreSQL of npm run dev.`;

type Args = { environment: string; name: string; expiresInDays: number | null; scopes: TokenScope[] };

function parseArgs(argv: string[]): Args | "help" {
  const values = parseOptions(argv, ["--environment", "--name", "--expires-in-days", "--scopes"]);
  if (values === "help") return "help";
  const environment = values["--environment"]?.trim();
  const name = values["--name"]?.trim();
  if (!environment) throw new UsageError("--environment <slug> is required.");
  if (!name) throw new UsageError("--name <name> is required.");
  let expiresInDays: number | null = null;
  const rawDays = values["--expires-in-days"];
  if (rawDays !== undefined) {
    if (!/^\d+$/.test(rawDays.trim())) throw new UsageError(`--expires-in-days must be a whole number of days, got "${rawDays}".`);
    expiresInDays = Number(rawDays.trim());
  }
  let scopes = [...DEFAULT_TOKEN_SCOPES];
  if (values["--scopes"] !== undefined) {
    const parsed = parseScopeList(values["--scopes"]);
    if (!parsed.ok) throw new UsageError(parsed.message);
    scopes = parsed.scopes;
  }
  return { environment, name, expiresInDays, scopes };
}

/** An error whose message is for the person at the terminal (exit 1). */
class ExpectedError extends Error {}

async function main(): Promise<number> {
  let args: Args | "help";
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}\n`);
      return 1;
    }
    throw e;
  }
  if (args === "help") {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const { environment, name, expiresInDays, scopes } = args;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  return withAppDatabase(
    async () => {
      const { systemContext } = await import("@/lib/context");
      const { listEnvironments } = await import("@/lib/environments/queries");
      const { getEnvironmentBySlug } = await import("@/lib/pins/queries");
      const { createApiToken } = await import("@/lib/tokens/service");
      const target = await getEnvironmentBySlug(environment);
      if (!target) {
        const known = (await listEnvironments()).map((e) => e.slug);
        throw new ExpectedError(
          `There is no environment "${environment}". ${known.length ? `Known environments: ${known.join(", ")}.` : "There are no environments yet."}`,
        );
      }
      const created = await createApiToken(systemContext("cli"), { name, environmentId: target.id, expiresInDays, scopes });
      process.stdout.write(`${created.token}\n`);
      log(
        `Created the API token "${created.name}" (${created.prefix}…) for the environment "${created.environment.slug}" with the scopes ${created.scopes.join(", ")}` +
          `${created.expiresAt ? `, expiring ${created.expiresAt.toISOString()}` : ", without expiry"}. It is not shown again.`,
      );
      return 0;
    },
    { log, expected: (e) => e instanceof ExpectedError },
  );
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    process.stderr.write(`token:create failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
