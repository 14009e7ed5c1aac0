"use client";

import { useAction } from "next-safe-action/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { actionErrors } from "@/components/ui/action-errors";
import { syncFunctionsAction } from "@/lib/functions/actions";

export function SyncButton({ label = "Sync from Nyckel" }: { label?: string }) {
  const { execute, result, isPending } = useAction(syncFunctionsAction);
  const { message: error } = actionErrors(result);
  return (
    <div className="flex flex-col items-end gap-2">
      <Button onClick={() => execute()} pending={isPending}>
        {isPending ? "Syncing…" : label}
      </Button>
      {result.data ? <Alert tone="success">{result.data.message}</Alert> : null}
      {error ? <Alert>{error}</Alert> : null}
    </div>
  );
}
