"use client";

import { Button } from "@/components/ui/button";
import { useClipboard } from "@/components/ui/use-clipboard";

/** Copies `value` to the clipboard and says so (aria-live); falls back to selecting `selectId`'s text. */
export function CopyButton({ value, label = "Copy", selectId }: { value: string; label?: string; selectId?: string }) {
  const { state, copy } = useClipboard(3000);
  return (
    <span className="inline-flex items-center gap-2">
      <Button
        type="button"
        variant="secondary"
        onClick={() =>
          copy(value, () => {
            const el = selectId ? document.getElementById(selectId) : null;
            if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) el.select();
          })
        }
      >
        {label}
      </Button>
      <span role="status" aria-live="polite" className="text-xs text-zinc-600 dark:text-zinc-400">
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? "Copying is blocked here: the text is selected, press Ctrl+C." : ""}
      </span>
    </span>
  );
}
