/**
 * A link's look wherever it sits in text: underlined, not told apart by colour alone
 * (WCAG 1.4.1, axe's link-in-text-block). Buttons styled as links use buttonClass instead.
 */
export const textLinkClass =
  "text-indigo-700 underline decoration-indigo-300 underline-offset-2 hover:decoration-indigo-700 dark:text-indigo-300 dark:decoration-indigo-700 dark:hover:decoration-indigo-300";
