/** Defaults of an environment's settings, free of zod: the environments form (a client component) imports them. */
export const DRIFT_SIGNIFICANCE_DEFAULT = 0.05;
