import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

const shared = {
  alias: {
    "@/": root,
    "server-only": fileURLToPath(new URL("./scripts/testing/empty-module.ts", import.meta.url)),
  },
};

export default defineConfig({
  resolve: { alias: shared.alias },
  test: {
    projects: [
      {
        resolve: { alias: shared.alias },
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "components/**/*.test.ts", "scripts/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "node_modules/**"],
          environment: "node",
        },
      },
      {
        resolve: { alias: shared.alias },
        test: {
          name: "integration",
          include: ["lib/**/*.integration.test.ts", "scripts/**/*.integration.test.ts"],
          environment: "node",
          globalSetup: ["./scripts/testing/integration-global-setup.ts"],
          setupFiles: ["./scripts/testing/integration-setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
