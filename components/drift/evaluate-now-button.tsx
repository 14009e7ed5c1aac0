"use client";

import { useAction } from "next-safe-action/hooks";
import { actionErrors } from "@/components/ui/action-errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { evaluateLatestNowAction } from "@/lib/drift/actions";

/** "Evaluate latest now" (editors): sends the function's latest model to drift watch and says what happens next. */
export function EvaluateNowButton({ functionId, functionName }: { functionId: string; functionName: string }) {
  const { execute, result, isPending } = useAction(evaluateLatestNowAction);
  const { message: error } = actionErrors(result);
  return (
    <div className="flex flex-col items-end gap-2">
      <Button variant="secondary" onClick={() => execute({ functionId })} pending={isPending} aria-label={`Evaluate latest now: ${functionName}`}>
        {isPending ? "Requesting…" : "Evaluate latest now"}
      </Button>
      <div aria-live="polite" className="max-w-md text-right">
        {result.data ? <Alert tone="success">{result.data.message}</Alert> : null}
        {error ? <Alert>{error}</Alert> : null}
      </div>
    </div>
  );
}
