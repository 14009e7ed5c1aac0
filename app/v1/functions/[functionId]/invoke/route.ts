import { invokeMethodNotAllowed, invokeRoute } from "@/lib/serving/proxy";

/**
 * POST /v1/functions/{functionId}/invoke — Nyckel's invoke path on Modelpin's host.
 * With an environment token (`Authorization: Bearer mp_…`) the request goes to the
 * configured Nyckel with the environment's pinned `modelId` added (none when the pin
 * is latest); query and body pass through unchanged, Nyckel's answer comes back
 * unchanged plus X-Modelpin-Environment and X-Modelpin-Model-Id. See docs/serving.md.
 *
 * In production most POSTs never reach this handler: the Node fast path
 * (lib/serving/node-invoke.ts) answers them with the same code before Next routes
 * them. This handler serves the rest (development, paths the fast path leaves to
 * Next, MODELPIN_INVOKE_FAST_PATH=off).
 */
export async function POST(request: Request, { params }: { params: Promise<{ functionId: string }> }): Promise<Response> {
  const { functionId } = await params;
  return invokeRoute(request, functionId);
}

export const GET = invokeMethodNotAllowed;
export const PUT = invokeMethodNotAllowed;
export const PATCH = invokeMethodNotAllowed;
export const DELETE = invokeMethodNotAllowed;
