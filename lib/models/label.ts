/**
 * How a model is named to people, in one place for pages, client components
 * and service messages (pure: no data access, safe in client code):
 * "nickname (modelId)", or the bare model id when it has no nickname.
 * `quote` sets the nickname in quotes where it runs into a sentence
 * ("“Beta” (model_b) is retired and cannot be pinned."); `latest` is the text
 * for no model at all (a pin that follows latest), "latest" unless given.
 */
export type LabelledModel = { modelId: string | null; nickname?: string | null };

export function modelLabel(m: LabelledModel | null | undefined, options: { quote?: boolean; latest?: string } = {}): string {
  if (!m?.modelId) return options.latest ?? "latest";
  if (!m.nickname) return m.modelId;
  return options.quote ? `“${m.nickname}” (${m.modelId})` : `${m.nickname} (${m.modelId})`;
}
