"use client";

import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";

/** A secret in a read-only field with a Copy button (falls back to selecting the text). */
export function SecretValue({ value, label = "Signing secret" }: { value: string; label?: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
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
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
            setTimeout(() => setCopied(false), 2000);
          } catch {
            ref.current?.select();
          }
        }}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
      <span className="sr-only" aria-live="polite">
        {copied ? "Secret copied to the clipboard." : ""}
      </span>
    </div>
  );
}
