"use client";

import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";

/** Copies `value` to the clipboard and says so (aria-live); falls back to selecting `selectId`'s text. */
export function CopyButton({ value, label = "Copy", selectId }: { value: string; label?: string; selectId?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 3000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <span className="inline-flex items-center gap-2">
      <Button
        type="button"
        variant="secondary"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setState("copied");
          } catch {
            // No clipboard permission (e.g. plain HTTP): select the text so Ctrl+C works.
            const el = selectId ? document.getElementById(selectId) : null;
            if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) el.select();
            setState("failed");
          }
        }}
      >
        {label}
      </Button>
      <span role="status" aria-live="polite" className="text-xs text-zinc-600 dark:text-zinc-400">
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? "Copying is blocked here: the text is selected, press Ctrl+C." : ""}
      </span>
    </span>
  );
}
