import Link from "next/link";
import { Badge } from "@/components/ui/badge";

/** The overview's mark on a cell whose environment mirrors this function's traffic to a candidate: a link to the function's shadows. */
export function ShadowMark({ functionId, functionName, environmentName }: { functionId: string; functionName: string; environmentName: string }) {
  const text = `Shadow evaluation running for ${functionName} in ${environmentName}`;
  return (
    <Link href={`/functions/${encodeURIComponent(functionId)}#shadow`} aria-label={text} title={text} className="mt-1 inline-block rounded-full focus-visible:outline-2 focus-visible:outline-indigo-500" data-testid="shadow-mark">
      <Badge tone="indigo">shadow</Badge>
    </Link>
  );
}
