import { createColumnHelper } from "@tanstack/react-table";
import type { SampleRow } from "@/lib/compare/sample-filters";

export const ROW_HEIGHT = 44;

const col = createColumnHelper<SampleRow>();

/** Model A's or B's columns: label, confidence and latency. */
const side = (id: "a" | "b") =>
  col.group({
    id,
    header: id.toUpperCase(),
    columns: [
      col.display({ id: `${id}Label`, header: "Label" }),
      col.display({ id: `${id}Confidence`, header: "Conf." }),
      col.display({ id: `${id}Latency`, header: "ms" }),
    ],
  });

/** Leaf columns carry their sort key as id; groups A and B hold label, confidence and latency. */
export const columns = [
  col.accessor("position", { id: "position", header: "#" }),
  col.accessor("input", { id: "input", header: "Input" }),
  col.accessor("truth", { id: "truth", header: "Truth" }),
  side("a"),
  side("b"),
  col.display({ id: "delta", header: "Δ (B−A)" }),
];

/**
 * Column widths in px; the input column takes the rest (at least INPUT_MIN). Flex rows, not table layout: cheap to scroll.
 * The sum (944 px) fits the report's content width at a 1280 px viewport, so B's latency and Δ show without scrolling.
 */
export const WIDTHS: Record<string, number> = {
  position: 56,
  truth: 112,
  aLabel: 128,
  aConfidence: 68,
  aLatency: 60,
  bLabel: 128,
  bConfidence: 68,
  bLatency: 60,
  delta: 84,
};
const INPUT_MIN = 180;
export const TABLE_MIN = INPUT_MIN + Object.values(WIDTHS).reduce((x, y) => x + y, 0);
export const SIDE_WIDTH = WIDTHS.aLabel! + WIDTHS.aConfidence! + WIDTHS.aLatency!;
export const widthStyle = (id: string): React.CSSProperties =>
  id in WIDTHS ? { width: WIDTHS[id], flex: "none" } : { flex: "1 1 0%", minWidth: INPUT_MIN };
export const NUMERIC = new Set(["position", "aConfidence", "aLatency", "bConfidence", "bLatency", "delta"]);
