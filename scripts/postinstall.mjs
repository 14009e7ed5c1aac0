// Runs after `npm install` / `npm ci`: generates the Prisma client offline.
// Prisma's CLI checks for its native schema-engine binary before every command
// and would try to download it; `generate` does not need it, so any existing
// file satisfies the check (see ../shared/OFFLINE.md).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const prismaBin = "node_modules/.bin/prisma";
if (!existsSync(prismaBin)) {
  console.log("postinstall: prisma CLI not installed (production install?), skipping generate");
  process.exit(0);
}
const result = spawnSync(prismaBin, ["generate"], {
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/false",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(result.status ?? 1);
