import "server-only";
import { newRequestId } from "@/lib/context";
import { roleRefusal, routeAllowed } from "@/lib/deployment/role";
import { env } from "@/lib/env";

/** The second argument Next.js passes a route handler. */
export type Segment = { params: Promise<Record<string, string | string[]>> };

/**
 * The shell both API route wrappers (session routes and token routes) share:
 * a request id, the role gate — a serving instance (MODELPIN_ROLE=serve) has
 * no dashboard APIs — then `run`; whatever `run` throws is answered by `onError`.
 */
export function routeShell(
  run: (request: Request, segment: Segment, requestId: string) => Promise<Response>,
  onError: (e: unknown, request: Request, requestId: string) => Response,
): (request: Request, segment: Segment) => Promise<Response> {
  return async (request, segment) => {
    const requestId = newRequestId();
    try {
      const role = env().role;
      if (!routeAllowed(role, new URL(request.url).pathname)) return roleRefusal(role);
      return await run(request, segment, requestId);
    } catch (e) {
      return onError(e, request, requestId);
    }
  };
}
