"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";

/** "Request again" on a stale or expired request: reveals the prefilled request form. */
export function RequestAgain({ children }: { children: React.ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="space-y-3">
      <Button type="button" variant="secondary" onClick={() => setOpen(!open)} aria-expanded={open} aria-controls="request-again">
        {open ? "Hide the form" : "Request again"}
      </Button>
      <div id="request-again" hidden={!open}>
        {children}
      </div>
    </div>
  );
}
