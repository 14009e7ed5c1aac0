"use client";

import { useEffect, useRef } from "react";
import { cn } from "./cn";

/**
 * A modal native <dialog>, shown while `open`: focus stays inside, the page behind is inert, and Esc
 * calls `onCancel` (the caller decides whether it closes). Labelled by the element with `labelledBy`.
 */
export function Modal({
  open,
  labelledBy,
  onCancel,
  className,
  children,
}: {
  open: boolean;
  labelledBy: string;
  onCancel: () => void;
  className?: string;
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
      aria-labelledby={labelledBy}
      className={cn("m-auto w-full rounded-lg bg-white p-6 text-zinc-900 shadow-xl backdrop:bg-zinc-950/50 dark:bg-zinc-900 dark:text-zinc-100", className)}
    >
      {children}
    </dialog>
  );
}
