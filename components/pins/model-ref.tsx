import { Badge } from "@/components/ui/badge";

/** A model as pins show it: nickname and id (and whether it is retired), or "latest — not pinned". */
export function ModelRef({ model }: { model: { modelId: string; nickname: string; retiredAt?: Date | null } | null }) {
  if (!model) return <span className="text-zinc-500">latest — not pinned</span>;
  return (
    <span>
      <span className="font-medium">{model.nickname || "(no nickname)"}</span>{" "}
      <code className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{model.modelId}</code>
      {model.retiredAt ? (
        <>
          {" "}
          <Badge tone="amber">retired</Badge>
        </>
      ) : null}
    </span>
  );
}

export function BreakGlassBadge() {
  return <Badge tone="red">break-glass</Badge>;
}
