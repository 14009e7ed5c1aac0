"use server";

import { permittedActionClient } from "@/lib/actions/safe-action";
import { verifyAuditLog } from "./verify";

/** Settings → Audit integrity: the chain, the signed head and the latest checkpoint (read-only). */
export const verifyAuditChainAction = permittedActionClient("audit:verify").action(async () => {
  const started = Date.now();
  const result = await verifyAuditLog();
  return { ...result, ms: Date.now() - started, checkedAt: new Date().toISOString() };
});
