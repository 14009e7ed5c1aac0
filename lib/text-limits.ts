/**
 * The longest text each free-text field takes, in characters. The zod schemas refuse
 * longer input on the server; the forms (components/ui/limited-text.tsx) set the same
 * numbers as maxLength with a counter. Pure constants: client components import them
 * without pulling zod into the browser.
 */
export const TEXT_LIMITS = {
  /** A pin change's reason, a promotion request's reason (lib/pins/schemas.ts). */
  reason: 2000,
  /** A decision's comment on a promotion request (lib/promotions/schemas.ts). */
  comment: 2000,
  /** A model's nickname and notes (lib/models/schemas.ts). */
  nickname: 60,
  notes: 2000,
  /** A sample set's name (lib/samples/schemas.ts). */
  sampleSetName: 100,
} as const;
