export function PageHeader({ title, description, actions }: { title: string; description?: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
      {/* min-w-0 and wrap-anywhere: a 100-character name without spaces wraps instead of widening the page. */}
      <div className="min-w-0 flex-1">
        <h1 className="text-2xl font-semibold tracking-tight wrap-anywhere">{title}</h1>
        {description ? <p className="mt-1 text-sm text-zinc-600 wrap-anywhere dark:text-zinc-400">{description}</p> : null}
      </div>
      {actions ? <div className="flex gap-2">{actions}</div> : null}
    </div>
  );
}
