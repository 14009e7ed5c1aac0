/** Next's bundled copy of the `compression` middleware (used by lib/serving/next-answer.ts, as `next start` uses it). */
declare module "next/dist/compiled/compression" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  export default function compression(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
}
