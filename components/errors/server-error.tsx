"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import { Button } from "@/components/ui/button";

type Diagnosis = "checking" | "database" | "other";

/**
 * What every error boundary shows (app/error.tsx, app/global-error.tsx,
 * app/(dashboard)/error.tsx). In production the browser never sees a server
 * error's message, so it asks /api/health/database: 503 (or no answer) means
 * "Modelpin cannot reach its database"; otherwise a generic message with the
 * error's digest, which the server log carries too. "Try again" re-renders
 * the page from the server; nothing is retried by itself.
 */
export function ServerError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const [diagnosis, setDiagnosis] = useState<Diagnosis>("checking");
  const [pending, startTransition] = useTransition();

  useEffect(() => {
    let cancelled = false;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 4_000);
    fetch("/api/health/database", { cache: "no-store", signal: controller.signal })
      .then((res) => {
        if (!cancelled) setDiagnosis(res.status === 503 ? "database" : "other");
      })
      .catch(() => {
        if (!cancelled) setDiagnosis("database"); // no answer at all within 4 s: the server cannot answer either
      })
      .finally(() => clearTimeout(timer));
    return () => {
      cancelled = true;
      clearTimeout(timer);
      controller.abort();
    };
  }, [error]);

  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });

  const database = diagnosis === "database";
  return (
    <main className="flex min-h-[60vh] items-center justify-center px-4 py-16">
      <div className="max-w-lg text-center" role="alert" aria-live="polite" aria-busy={diagnosis === "checking"}>
        <p className="text-sm font-semibold text-amber-600">{database ? "Database unreachable" : "Error"}</p>
        <h1 className="mt-2 text-2xl font-semibold">{database ? "Modelpin cannot reach its database" : "Something went wrong"}</h1>
        <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">
          {diagnosis === "checking"
            ? "This page could not be loaded. Checking what happened…"
            : database
              ? "PostgreSQL is not answering right now, so this page cannot be shown. Applications keep getting their pins from Modelpin's cache meanwhile. Try again in a few seconds; if it lasts, check the database server."
              : "This page could not be loaded. Try again; if it keeps happening, report the reference below to your administrator."}
        </p>
        {!database && diagnosis !== "checking" && error.digest ? (
          <p className="mt-2 font-mono text-xs text-zinc-500">Reference: {error.digest}</p>
        ) : null}
        <Button className="mt-6" onClick={retry} pending={pending}>
          Try again
        </Button>
      </div>
    </main>
  );
}
