"use client";

import { ServerError } from "@/components/errors/server-error";
import "./globals.css";

/** Errors of the root layout itself: replaces it, so it brings its own <html> and <body>. */
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <title>Modelpin</title>
        <ServerError error={error} reset={reset} />
      </body>
    </html>
  );
}
