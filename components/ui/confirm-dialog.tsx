"use client";

import { useId } from "react";
import { Button } from "./button";
import { ModalDialog } from "./modal-dialog";

/** A modal confirmation (native <dialog>: focus is trapped and Esc cancels). */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  tone = "danger",
  pending,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children?: React.ReactNode;
  confirmLabel: string;
  tone?: "danger" | "primary";
  pending?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  // One id per dialog: a page holds several (rollback, retire…), each announced by its own title.
  const titleId = useId();
  return (
    <ModalDialog open={open} titleId={titleId} onCancel={onCancel} width="max-w-md">
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      {children ? <div className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">{children}</div> : null}
      <div className="mt-6 flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={onCancel} autoFocus>
          Cancel
        </Button>
        <Button type="button" variant={tone} pending={pending} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </div>
    </ModalDialog>
  );
}
