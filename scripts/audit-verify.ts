/**
 * `npm run audit:verify [-- --checkpoint <file.json>]`: checks the audit log's
 * hash chain, its signed head and the latest checkpoint (docs/audit.md); with
 * --checkpoint also a checkpoint held outside the database (the body of an
 * `audit.checkpoint` webhook as received). Prints "ok N events …" (exit 0) or
 * the problem (exit 1); 2 for anything unexpected.
 */
import { readFileSync } from "node:fs";
import { outsideCheckpointSchema } from "@/lib/audit/schemas";
import { exitWith, withAppDatabase } from "./audit-args";
import { parseOptions, UsageError } from "./cli/args";

const USAGE = `Usage: npm run audit:verify [-- --checkpoint <file.json>]

Checks the audit log: every event's hash and link, the signed head, the latest
recorded checkpoint, and (with --checkpoint) a checkpoint kept outside Modelpin:
the JSON body of an audit.checkpoint webhook, or its "data".`;

function readCheckpointFile(file: string) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`Cannot read ${file} as JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = outsideCheckpointSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`${file} is not an audit.checkpoint body: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"} ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), ["--checkpoint"]);
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const file = options["--checkpoint"];
  const outside = file ? readCheckpointFile(file) : undefined;
  return withAppDatabase(async () => {
    const { verifyAuditLog } = await import("@/lib/audit/verify");
    const result = await verifyAuditLog({ outside });
    if (result.ok) {
      const checkpoint = result.checkpoint ? `; latest checkpoint ${result.checkpoint.at} (${result.checkpoint.count} events)` : "; no checkpoint recorded yet";
      const given = result.outside ? `; the checkpoint given (${result.outside.at}, ${result.outside.count} events) matches` : "";
      console.log(`ok ${result.count} events${checkpoint}${given}`);
      if (result.note) console.log(result.note);
      return 0;
    }
    const where = result.brokenAt ? ` at event ${result.brokenAt}` : "";
    console.log(`broken${where} (after ${result.count} good events): ${result.problem}`);
    return 1;
  });
}

exitWith(main);
