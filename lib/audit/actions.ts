"use server";

import { permittedActionClient } from "@/lib/actions/safe-action";
import { prisma } from "@/lib/db/client";
import { verifyAuditChain } from "./verify";

/** Settings → Audit integrity: walks the whole hash chain (read-only). */
export const verifyAuditChainAction = permittedActionClient("audit:verify").action(async () => {
  const started = Date.now();
  const result = await verifyAuditChain(prisma);
  return { ...result, ms: Date.now() - started, checkedAt: new Date().toISOString() };
});
