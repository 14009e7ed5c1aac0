/**
 * `tsx --conditions=react-server scripts/measure-connections.ts`: how many
 * PostgreSQL connections one instance of each role opens (docs/scaling.md).
 * Starts its own embedded PostgreSQL and a production server per role from the
 * build in NEXT_DIST_DIR (run `npm run build` first), sends light traffic
 * (health, a page, token resolves, a `?at=` resolve that reads the database,
 * 20 of them at once), then counts pg_stat_activity rows by application_name.
 * Prints one `RESULT role=<role> total=<n> <application_name>=<n> …` line per role.
 */
import path from "node:path";
import { spawnSync } from "node:child_process";
import pg from "pg";
import { startNextServer } from "@/scripts/testing/next-server";
import { repoRoot } from "@/scripts/db/database";
import { runSeed } from "@/scripts/db/migrations";
import { freePort } from "@/scripts/testing/free-port";
import { appEnv } from "./bench/build";
import { scratchDatabase } from "./bench/postgres";

async function main() {
  process.chdir(repoRoot());
  const postgres = await scratchDatabase("measure-connections", (line) => console.log(`[measure] ${line}`));
  try {
    await runSeed(postgres.url, { log: () => undefined });
    const made = spawnSync(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/token-create.ts", "--environment", "development", "--name", "measure"], {
      env: { ...process.env, DATABASE_URL: postgres.url, LOG_LEVEL: "warn" },
      encoding: "utf8",
    });
    const token = made.stdout.trim();
    if (!token.startsWith("mp_")) throw new Error(`token:create failed: ${made.stderr}`);
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    for (const role of ["all", "web", "serve"]) {
      const appPort = await freePort();
      const server = await startNextServer({
        port: appPort,
        env: appEnv({ DATABASE_URL: postgres.url, MODELPIN_ROLE: role }),
      });
      try {
        const auth = { authorization: `Bearer ${token}` };
        const list = `${server.url}/api/v1/environments/development/pins`;
        await fetch(`${server.url}/signin`).then((r) => r.text());
        await fetch(list, { headers: auth }).then((r) => r.text());
        await Promise.all(
          Array.from({ length: 20 }, () => fetch(`${list}?at=${new Date().toISOString()}`, { headers: auth }).then((r) => r.text())),
        );
        await fetch(`${server.url}/api/health/database`).then((r) => r.text());
        await new Promise((r) => setTimeout(r, 3_000)); // job workers start, usage counters flush
        const { rows } = await db.query<{ name: string; n: number }>(
          "SELECT application_name AS name, count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1",
        );
        const total = rows.reduce((sum, r) => sum + r.n, 0);
        console.log(`RESULT role=${role} total=${total} ${rows.map((r) => `${r.name || "(none)"}=${r.n}`).join(" ")}`);
      } finally {
        await server.stop();
      }
    }
    await db.end();
  } finally {
    await postgres.stop();
  }
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
