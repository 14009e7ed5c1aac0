"use client";

import { useEffect, useId, useRef, useState } from "react";
import { cn } from "./cn";

const CLAMP = { 2: "line-clamp-2", 3: "line-clamp-3", 6: "line-clamp-6" } as const;

/**
 * Long free text (reasons, comments, notes) shown in a few lines, with "Show more" /
 * "Show less" when it does not fit. The text keeps its line breaks and wraps anywhere,
 * so a 2,000-character word cannot widen its row. The button appears only when the
 * clamp hides something (measured after layout, again on resize).
 */
export function ClampedText({
  text,
  lines = 3,
  className,
  testId,
}: {
  text: string;
  lines?: keyof typeof CLAMP;
  className?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLParagraphElement>(null);
  const id = useId();
  const [expanded, setExpanded] = useState(false);
  const [clipped, setClipped] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || expanded) return;
    const measure = () => setClipped(el.scrollHeight > el.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [expanded, text]);
  return (
    <div className={className}>
      <p id={id} ref={ref} data-testid={testId} className={cn("whitespace-pre-wrap wrap-anywhere", !expanded && CLAMP[lines])}>
        {text}
      </p>
      {clipped || expanded ? (
        <button
          type="button"
          aria-expanded={expanded}
          aria-controls={id}
          onClick={() => setExpanded((e) => !e)}
          className="mt-1 text-xs font-medium text-indigo-700 underline decoration-indigo-300 underline-offset-2 hover:decoration-indigo-700 dark:text-indigo-300"
        >
          {expanded ? "Show less" : "Show more"}
        </button>
      ) : null}
    </div>
  );
}
