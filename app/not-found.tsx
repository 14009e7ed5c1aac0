import Link from "next/link";
import { buttonClass } from "@/components/ui/button";

export default function NotFound() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-indigo-600">404</p>
        <h1 className="mt-2 text-2xl font-semibold">Not found</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">There is nothing here, or it was removed.</p>
        <Link href="/" className={buttonClass("secondary", "mt-6")}>
          Back to the overview
        </Link>
      </div>
    </main>
  );
}
