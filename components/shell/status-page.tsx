import Link from "next/link";
import { buttonClass } from "@/components/ui/button";

/** A whole-page answer such as 403 or 404: the code, a title, a sentence and a way back to the overview. */
export function StatusPage({ code, title, children }: { code: number; title: string; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-indigo-600">{code}</p>
        <h1 className="mt-2 text-2xl font-semibold">{title}</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">{children}</p>
        <Link href="/" className={buttonClass("secondary", "mt-6")}>
          Back to the overview
        </Link>
      </div>
    </main>
  );
}
