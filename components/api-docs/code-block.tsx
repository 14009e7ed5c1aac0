"use client";

import { useState } from "react";

/** A block of code with a copy button (keyboard reachable, announces "Copied"). */
export function CodeBlock({ code, label }: { code: string; label: string }) {
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(code);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied("idle"), 2000);
  }
  return (
    <figure className="group relative">
      <figcaption className="mb-1 flex items-center justify-between text-xs font-medium text-zinc-500 dark:text-zinc-400">
        <span>{label}</span>
        <button
          type="button"
          onClick={copy}
          aria-label={`Copy ${label}`}
          className="rounded px-2 py-0.5 text-xs text-zinc-600 ring-1 ring-zinc-300 hover:bg-zinc-100 dark:text-zinc-300 dark:ring-zinc-700 dark:hover:bg-zinc-800"
        >
          Copy
        </button>
      </figcaption>
      {/* Focusable: a long line scrolls sideways, and keyboard users scroll it too (axe scrollable-region-focusable). */}
      <pre tabIndex={0} className="overflow-x-auto rounded-md bg-zinc-900 p-3 text-xs leading-relaxed text-zinc-100 dark:bg-black/60 dark:ring-1 dark:ring-zinc-800">
        <code>{code}</code>
      </pre>
      <span role="status" aria-live="polite" className="sr-only">
        {copied === "copied" ? `${label} copied` : copied === "failed" ? "Copying failed: select the text and copy it" : ""}
      </span>
    </figure>
  );
}
