import Link from "next/link";
import { buttonClass } from "@/components/ui/button";

export default function Forbidden() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-indigo-600">403</p>
        <h1 className="mt-2 text-2xl font-semibold">Not allowed</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          Your role does not allow you to open this page. Ask an admin if you need access.
        </p>
        <Link href="/" className={buttonClass("secondary", "mt-6")}>
          Back to the overview
        </Link>
      </div>
    </main>
  );
}
