/** TanStack Query keys of the promotions domain (one factory; invalidate `all` after a decision). */
export const promotionKeys = {
  all: ["promotions"] as const,
  waitingCount: () => [...promotionKeys.all, "waiting-count"] as const,
  /** One request's live state (status and version), polled by its page. */
  state: (requestId: string) => [...promotionKeys.all, "request-state", requestId] as const,
};
