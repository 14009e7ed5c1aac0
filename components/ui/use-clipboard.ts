"use client";

import { useEffect, useState } from "react";

export type CopyState = "idle" | "copied" | "failed";

/**
 * Copies text to the clipboard; `state` says how it went and returns to "idle" after `resetMs`.
 * Without clipboard permission (e.g. plain HTTP) `fallback` runs: select the text so Ctrl+C works.
 */
export function useClipboard(resetMs: number) {
  const [state, setState] = useState<CopyState>("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), resetMs);
    return () => clearTimeout(timer);
  }, [state, resetMs]);
  const copy = async (value: string, fallback: () => void) => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      fallback();
      setState("failed");
    }
  };
  return { state, copy };
}
