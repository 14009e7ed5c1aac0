import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * DESIGN.md invariant 1: pins change only through lib/pins/service.ts. This
 * scans the source for any other write to pins or pin_revisions (Prisma calls
 * or SQL), so a shortcut added elsewhere fails the build instead of a review.
 */
const ROOT = path.resolve(__dirname, "../..");
const SCANNED = ["app", "components", "lib", "scripts", "prisma/seed.ts"];
const ALLOWED = new Set(["lib/pins/service.ts"]);
const WRITES = [
  /\.pin\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\b/,
  /\.pinRevision\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\b/,
  /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(pins|pin_revisions)"?\b/, // SQL keywords in capitals, as written here
];

function files(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs).flatMap((name) => {
    const child = path.join(rel, name);
    if (name === "generated" || name === "node_modules") return [];
    if (statSync(path.join(ROOT, child)).isDirectory()) return files(child);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.ts$/.test(name) ? [child] : [];
  });
}

describe("pins have one writer", () => {
  it("no code outside lib/pins/service.ts writes pins or pin revisions", () => {
    const offenders = SCANNED.flatMap(files)
      .filter((f) => !ALLOWED.has(f.split(path.sep).join("/")))
      .filter((f) => WRITES.some((re) => re.test(readFileSync(path.join(ROOT, f), "utf8"))));
    expect(offenders).toEqual([]);
  });

  it("the scan does find the writes of the pin service itself", () => {
    const source = readFileSync(path.join(ROOT, "lib/pins/service.ts"), "utf8");
    expect(WRITES.filter((re) => re.test(source)).length).toBeGreaterThanOrEqual(2);
  });
});
