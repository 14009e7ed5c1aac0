import { Badge } from "@/components/ui/badge";
import type { ModelRefView } from "./types";

/** A model as pins show it: nickname and id, or "latest — not pinned". */
export function ModelRef({ model }: { model: Pick<ModelRefView, "modelId" | "nickname"> & { retired?: boolean } | null }) {
  if (!model) return <span className="text-zinc-500">latest — not pinned</span>;
  return (
    <span>
      <span className="font-medium">{model.nickname || "(no nickname)"}</span>{" "}
      <code className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{model.modelId}</code>
      {model.retired ? (
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
