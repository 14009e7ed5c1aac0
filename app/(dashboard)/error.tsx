"use client";

import { ServerError } from "@/components/errors/server-error";

/** Errors of a dashboard page, shown inside the shell: components/errors/server-error.tsx. */
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ServerError error={error} reset={reset} />;
}
