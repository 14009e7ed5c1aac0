import { cn } from "./cn";

/** An inline message. Uses role=status (polite) so it does not collide with Next's route announcer. */
export function Alert({
  tone = "error",
  children,
  className,
  ...rest
}: { tone?: "error" | "success" | "info"; children: React.ReactNode; className?: string; "data-testid"?: string }) {
  const styles = {
    error: "border-red-200 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200",
    success: "border-green-200 bg-green-50 text-green-800 dark:border-green-900 dark:bg-green-950 dark:text-green-200",
    info: "border-zinc-200 bg-white text-zinc-700 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-300",
  }[tone];
  return (
    <div role="status" aria-live="polite" className={cn("rounded-md border px-3 py-2 text-sm", styles, className)} data-tone={tone} {...rest}>
      {children}
    </div>
  );
}
