"use client";

import { ServerError } from "@/components/errors/server-error";

/** Errors of any page outside the dashboard shell (and of the shell itself): components/errors/server-error.tsx. */
export default function RootError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ServerError error={error} reset={reset} />;
}
