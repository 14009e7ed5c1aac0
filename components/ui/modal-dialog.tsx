"use client";

import { useEffect, useRef } from "react";

/**
 * A native modal <dialog>, shown while `open` (focus stays inside; Esc calls `onCancel` instead of closing it
 * behind React's back), labelled by the element whose id is `titleId`.
 */
export function ModalDialog({
  open,
  titleId,
  onCancel,
  width,
  children,
}: {
  open: boolean;
  titleId: string;
  onCancel: () => void;
  width: "max-w-md" | "max-w-xl";
  children: React.ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      aria-labelledby={titleId}
      className={`m-auto w-full ${width} rounded-lg bg-white p-6 text-zinc-900 shadow-xl backdrop:bg-zinc-950/50 dark:bg-zinc-900 dark:text-zinc-100`}
    >
      {children}
    </dialog>
  );
}
