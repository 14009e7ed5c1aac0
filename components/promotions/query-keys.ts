/** TanStack Query keys of the promotions domain (one factory; invalidate `all` after a decision). */
export const promotionKeys = {
  all: ["promotions"] as const,
  waitingCount: () => [...promotionKeys.all, "waiting-count"] as const,
};
