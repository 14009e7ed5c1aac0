"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { actionErrors } from "@/components/ui/action-errors";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, inputClass } from "@/components/ui/field";
import { approvePromotionRequestAction, cancelPromotionRequestAction, rejectPromotionRequestAction } from "@/lib/promotions/actions";
import { promotionKeys } from "./query-keys";
import { useRequestState } from "./request-live";
import { LimitedTextarea } from "@/components/ui/limited-text";
import { TEXT_LIMITS } from "@/lib/text-limits";

type Confirming = "approve" | "reject" | "cancel" | null;

/**
 * Approve / reject (with a comment; required to reject) for members who may
 * decide, and cancel for the requester (or an admin). Each asks for
 * confirmation. The server decides again: these buttons are only shown to
 * those it would allow.
 */
export function RequestActions({
  requestId,
  number,
  change,
  canDecide,
  canCancel,
  lastApproval,
  staleRisk,
}: {
  requestId: string;
  number: number;
  /** "Production → Target (model_x)", for the confirmations. */
  change: string;
  canDecide: boolean;
  canCancel: boolean;
  /** Whether one more approval reaches the policy's count (the pin moves on confirm). */
  lastApproval: boolean;
  /** The pin moved since the request was made: approving marks it stale. */
  staleRisk: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  // The request's live status (polled by RequestLive): once it is no longer pending, wherever the change came
  // from, no button stays clickable while the page re-renders.
  const live = useRequestState(requestId).data;
  const closed = live !== undefined && live.status !== "pending";
  const [comment, setComment] = useState("");
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [commentError, setCommentError] = useState<string | null>(null);
  const [done, setDone] = useState<{ message: string; closedBadly: boolean } | null>(null);
  const onSuccess = ({ data }: { data?: { message: string; status: string } }) => {
    setConfirming(null);
    setComment("");
    setDone({ message: data?.message ?? "Done.", closedBadly: data?.status === "stale" || data?.status === "expired" });
    void queryClient.invalidateQueries({ queryKey: promotionKeys.all });
    router.refresh();
  };
  const onError = () => setConfirming(null);
  const approve = useAction(approvePromotionRequestAction, { onSuccess, onError });
  const reject = useAction(rejectPromotionRequestAction, { onSuccess, onError });
  const cancel = useAction(cancelPromotionRequestAction, { onSuccess, onError });
  const failed = [approve, reject, cancel].map((a) => actionErrors(a.result)).find((e) => e.message);
  const pending = approve.isPending || reject.isPending || cancel.isPending;
  const resetAll = () => [approve, reject, cancel].forEach((a) => a.reset());

  const doneAlert = done ? <Alert tone={done.closedBadly ? "info" : "success"}>{done.message}</Alert> : null;
  if (!canDecide && !canCancel) return doneAlert;

  const dialog = {
    approve: {
      title: `Approve request #${number}?`,
      label: "Approve",
      tone: "primary" as const,
      body: staleRisk
        ? "The pin moved since this request was made: your approval is recorded, and the request becomes stale instead of being applied."
        : lastApproval
          ? `Yours is the last approval needed: ${change} happens now.`
          : `Your approval counts towards ${change}.`,
      run: () => approve.execute({ requestId, comment }),
    },
    reject: {
      title: `Reject request #${number}?`,
      label: "Reject",
      tone: "danger" as const,
      body: `Your comment is sent with the rejection: “${comment.trim()}”`,
      run: () => reject.execute({ requestId, comment }),
    },
    cancel: {
      title: `Cancel request #${number}?`,
      label: "Cancel request",
      tone: "danger" as const,
      body: `${change} will not happen through this request. You can request again later.`,
      run: () => cancel.execute({ requestId, comment }),
    },
  };
  const open = confirming && !closed ? dialog[confirming] : null;
  /** Opens one confirmation; a rejection first needs its comment. */
  const ask = (decision: NonNullable<Confirming>) => {
    resetAll();
    if (decision === "reject" && !comment.trim()) {
      setCommentError("Say why you reject it: the requester and the audit log read it.");
      return;
    }
    setConfirming(decision);
  };

  return (
    <div className="space-y-3" data-testid="request-actions">
      {doneAlert}
      {failed?.message ? <Alert>{failed.message}</Alert> : null}
      {closed && !done ? (
        <Alert tone="info">
          This request is now {live.status}; it can no longer be decided. The page is updating.
        </Alert>
      ) : null}
      <Field
        label={canDecide ? "Comment" : "Comment (optional)"}
        name="decision-comment"
        errors={commentError ? [commentError] : failed?.fieldErrors.comment}
        hint={canDecide ? "Optional to approve, required to reject. Recorded in the audit log." : "Recorded in the audit log."}
      >
        {(p) => (
          <LimitedTextarea
            {...p}
            max={TEXT_LIMITS.comment}
            rows={3}
            value={comment}
            onChange={(e) => {
              setComment(e.target.value);
              setCommentError(null);
            }}
            className={inputClass}
          />
        )}
      </Field>
      <div className="flex flex-wrap gap-2">
        {canDecide ? (
          <>
            <Button type="button" disabled={closed} onClick={() => ask("approve")}>
              Approve…
            </Button>
            <Button type="button" variant="danger" disabled={closed} onClick={() => ask("reject")}>
              Reject…
            </Button>
          </>
        ) : null}
        {canCancel ? (
          <Button type="button" variant="secondary" disabled={closed} onClick={() => ask("cancel")}>
            Cancel request…
          </Button>
        ) : null}
      </div>
      <ConfirmDialog
        open={open !== null}
        title={open?.title ?? ""}
        confirmLabel={open?.label ?? ""}
        tone={open?.tone ?? "primary"}
        pending={pending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => open?.run()}
      >
        <p>{open?.body}</p>
      </ConfirmDialog>
    </div>
  );
}
