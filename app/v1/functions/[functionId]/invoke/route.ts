import { measureProxy } from "@/lib/metrics/serving";
import { invokeMethodNotAllowed, proxyInvoke } from "@/lib/serving/proxy";

/**
 * POST /v1/functions/{functionId}/invoke — Nyckel's invoke path on Modelpin's host.
 * With an environment token (`Authorization: Bearer mp_…`) the request goes to the
 * configured Nyckel with the environment's pinned `modelId` added (none when the pin
 * is latest); query and body pass through unchanged, Nyckel's answer comes back
 * unchanged plus X-Modelpin-Environment and X-Modelpin-Model-Id. See docs/serving.md.
 */
export async function POST(request: Request, { params }: { params: Promise<{ functionId: string }> }): Promise<Response> {
  const { functionId } = await params;
  return measureProxy(functionId, () => proxyInvoke(request, functionId));
}

export const GET = invokeMethodNotAllowed;
export const PUT = invokeMethodNotAllowed;
export const PATCH = invokeMethodNotAllowed;
export const DELETE = invokeMethodNotAllowed;
