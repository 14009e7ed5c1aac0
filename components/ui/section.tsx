/**
 * A titled part of a page: an h2 that labels the section (its id is `${id}-heading`),
 * an optional description under it, then the content. `id` doubles as the stable #anchor
 * ("/functions/x#models"); scroll-mt keeps the heading clear of a sticky SectionNav.
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
    <section id={id} aria-labelledby={`${id}-heading`} className={className ? `scroll-mt-16 ${className}` : "scroll-mt-16"}>
      <h2 id={`${id}-heading`} className="text-lg font-semibold">
        {title}
      </h2>
      {description ? <p className="mb-3 mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</p> : <div className="mb-3" />}
      {children}
    </section>
  );
}

/**
 * "On this page": links to a page's sections, sticky under the header so any section is one
 * Tab and Enter away. Plain links (no script): the fragment is the section's stable URL.
 */
export function SectionNav({ sections }: { sections: Array<{ id: string; label: string }> }) {
  return (
    <nav
      aria-label="On this page"
      className="sticky top-0 z-10 -mx-4 border-b border-zinc-200 bg-zinc-50/95 px-4 py-2 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/95"
    >
      <ul className="flex flex-wrap items-center gap-x-1 gap-y-1 text-sm">
        <li className="mr-2 text-xs font-medium uppercase tracking-wide text-zinc-600 dark:text-zinc-400" aria-hidden>
          On this page
        </li>
        {sections.map((s) => (
          <li key={s.id}>
            <a
              href={`#${s.id}`}
              className="rounded-md px-2 py-1 text-zinc-700 hover:bg-zinc-200 hover:text-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
            >
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
