"use client";

import { useRef } from "react";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { useClipboard } from "@/components/ui/use-clipboard";

/** A secret in a read-only field with a Copy button (falls back to selecting the text). */
export function SecretValue({ value, label = "Signing secret" }: { value: string; label?: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const { state, copy } = useClipboard(2000);
  const copied = state === "copied";
  return (
    <div className="flex items-center gap-2">
      <input
        ref={ref}
        readOnly
        value={value}
        aria-label={label}
        data-testid="webhook-secret"
        spellCheck={false}
        onFocus={(e) => e.currentTarget.select()}
        className={inputClass + " font-mono text-xs"}
      />
      <Button
        type="button"
        variant="secondary"
        onClick={() => copy(value, () => ref.current?.select())}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
      <span className="sr-only" aria-live="polite">
        {copied ? "Secret copied to the clipboard." : ""}
      </span>
    </div>
  );
}
