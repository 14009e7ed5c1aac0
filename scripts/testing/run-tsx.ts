/** Runs a TypeScript file of the project in its own process, as `npm run` would (tsx --conditions=react-server). */
import { spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "@/scripts/db/database";

export type TsxResult = { code: number | null; stdout: string; stderr: string };

/** `file` (relative to the repository root) with `args`, this process's environment and LOG_LEVEL=warn; resolves when it exits. */
export function runTsx(file: string, args: string[] = []): Promise<TsxResult> {
  const root = repoRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["--conditions=react-server", file, ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
