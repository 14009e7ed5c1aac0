import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const TEST_FILES = ["**/*.test.ts", "**/*.test.tsx"];
const TOOLING = {
  group: ["@/scripts/*", "**/scripts/*", "@/e2e/*", "**/e2e/*"],
  message: "scripts/ and e2e/ hold tooling and test helpers, which the app never loads.",
};

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([".next/**", ".next-*/**", "test-results*/**", "node_modules/**", ".data/**", "lib/generated/**", "next-env.d.ts", "test-results/**", "playwright-report/**"]),
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The app's code never loads tooling: the migration wrapper, the embedded PostgreSQL launcher, the
    // Nyckel emulator, benches and test helpers live in scripts/ (README, "Where things live"). The
    // two blocks below add TOOLING for lib/, app/ and components/ (a rule's last setting wins).
    files: ["proxy.ts", "instrumentation.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [TOOLING] }] },
  },
  {
    // lib/ is below app/: routes call lib/, never the reverse.
    files: ["lib/**"],
    ignores: TEST_FILES,
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [TOOLING, { group: ["@/app/*", "**/app/*"], message: "lib/ is below app/: move the shared code into lib/." }] },
      ],
    },
  },
  {
    // Only lib/** talks to the database (STYLE.md "Data access").
    files: ["app/**", "components/**"],
    ignores: TEST_FILES,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            TOOLING,
            { group: ["@/lib/generated/*", "@/lib/db/*", "@prisma/*"], message: "Pages and components load data through lib/<domain>/queries.ts." },
          ],
        },
      ],
    },
  },
]);
