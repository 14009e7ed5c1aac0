import { defineConfig } from "prisma/config";

// Prisma 7 keeps the datasource URL here. Reading process.env directly (rather
// than env()) keeps `prisma generate` working when DATABASE_URL is unset.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx --conditions=react-server prisma/seed.ts" },
  datasource: { url: process.env.DATABASE_URL ?? "" },
});
