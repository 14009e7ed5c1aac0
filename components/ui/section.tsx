/**
 * A titled part of a page: an h2 that labels the section (its id is `${id}-heading`),
 * an optional description under it, then the content. `id` doubles as the anchor.
 */
export function Section({
  id,
  title,
  description,
  className,
  children,
}: {
  id: string;
  title: string;
  description?: React.ReactNode;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <section id={id} aria-labelledby={`${id}-heading`} className={className}>
      <h2 id={`${id}-heading`} className="text-lg font-semibold">
        {title}
      </h2>
      {description ? <p className="mb-3 mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</p> : <div className="mb-3" />}
      {children}
    </section>
  );
}
