import "server-only";
import { z } from "zod";
import type { Permission } from "@/lib/auth/permissions";
import { NotFoundError } from "@/lib/errors";
import type { RouteContext, RouteOptions } from "./route";

type Params = Record<string, string>;

/**
 * The options and handler for route() of a GET that a page polls for one record's live state: the path's
 * `param` is a uuid, `load` returns the state (null: a 404 with `notFound`), and the answer is never cached.
 */
export function liveStateRoute(
  { param, permission, notFound }: { param: string; permission: Permission; notFound: string },
  load: (id: string) => Promise<unknown>,
): { options: RouteOptions<Params, Record<string, never>>; handler: (ctx: RouteContext<Params, Record<string, never>>) => Promise<Response> } {
  return {
    options: { permission, params: z.object({ [param]: z.uuid() }), notFound },
    handler: async ({ params }) => {
      const state = await load(params[param]!);
      if (!state) throw new NotFoundError(notFound);
      return Response.json(state, { headers: { "cache-control": "no-store" } });
    },
  };
}
