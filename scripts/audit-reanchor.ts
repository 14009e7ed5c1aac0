/**
 * `npm run audit:reanchor -- --reason "…"` (docs/audit.md): after restoring a
 * backup, or changing MODELPIN_ENCRYPTION_KEY, signs a new head at the chain's
 * real end — only when every link of the chain holds — records the audited
 * event `audit.reanchored` with the reason and the old head, and sends a
 * `reanchor` checkpoint to webhooks. Exit 0 done; 1 refused; 2 unexpected.
 */
import { userInfo } from "node:os";
import { exitWith, withAppDatabase } from "./audit-args";
import { parseOptions, UsageError } from "./cli/args";

const USAGE = `Usage: npm run audit:reanchor -- --reason "<why>"

Re-signs the audit chain's head at the log's real end (refused when any event's
hash or link is broken), records an audit.reanchored event with the reason, and
sends an audit.checkpoint of kind "reanchor" to webhooks.`;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), ["--reason"]);
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  if (!options["--reason"]) throw new UsageError(`--reason is required.\n\n${USAGE}`);
  return withAppDatabase(async () => {
    const { systemContext } = await import("@/lib/context");
    const { reanchorAuditChain } = await import("@/lib/audit/reanchor");
    const { isExpectedError } = await import("@/lib/errors");
    try {
      const out = await reanchorAuditChain(systemContext(`cli (${userInfo().username})`), { reason: options["--reason"]! });
      console.log(
        `re-anchored: the head was ${out.before.count} events up to ${out.before.lastEventId ?? "none"} (signature ${out.before.signatureValid ? "valid" : "not valid"}); the log has ${out.after.count} events up to ${out.after.lastEventId ?? "none"}, now signed and sent as a checkpoint.`,
      );
      return 0;
    } catch (e) {
      if (!isExpectedError(e)) throw e;
      console.log(`refused: ${e.message}`);
      return 1;
    }
  });
}

exitWith(main);
