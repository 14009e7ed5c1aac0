import { NextResponse } from "next/server";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { newRequestId, userContext } from "@/lib/context";
import { isExpectedError } from "@/lib/errors";
import { getFunctionDetail } from "@/lib/functions/queries";
import { logger } from "@/lib/logger";
import { previewOf } from "@/lib/samples/preview";
import { saveSampleSetUpload } from "@/lib/samples/service";
import { inputKindFor, readSampleUpload } from "@/lib/samples/upload";

// Uploads stream through this route handler (server actions cap bodies at 1 MB).
export const runtime = "nodejs";
export const maxDuration = 300;

const json = (status: number, body: unknown) => NextResponse.json(body, { status });

/**
 * POST multipart: `?preview=1` answers what was understood (nothing is kept);
 * otherwise saves the set while the upload streams (lib/samples/service.ts).
 * Both read the body in bounded memory and answer 413 as soon as it is too large.
 */
export async function POST(request: Request, { params }: { params: Promise<{ functionId: string }> }) {
  const requestId = newRequestId();
  const user = await getCurrentUser();
  if (!user) return json(401, { message: "Sign in to upload samples." });
  if (!can(user.role, "samples:write")) return json(403, { message: "Your role does not allow uploading samples." });
  const { functionId } = await params;
  const fn = await getFunctionDetail(functionId);
  if (!fn) return json(404, { message: "That function does not exist." });
  const inputKind = inputKindFor(fn.inputType);
  const refused = (status: number, message: string) => {
    // One line per refused upload; never the stack of a client's mistake.
    logger.warn({ requestId, functionId: fn.id, status }, `sample upload refused: ${message}`);
  };
  try {
    if (new URL(request.url).searchParams.get("preview") === "1") {
      const upload = await readSampleUpload(request, inputKind);
      if (!upload.ok) {
        refused(upload.status, upload.message);
        return json(upload.status, { message: upload.message });
      }
      return json(200, previewOf(upload.summary));
    }
    const saved = await saveSampleSetUpload(userContext(user, requestId), { functionId: fn.id, inputKind }, request);
    if (!saved.ok) {
      refused(saved.status, saved.message);
      return json(saved.status, { message: saved.message, ...(saved.summary ? { preview: previewOf(saved.summary) } : {}) });
    }
    const { set, summary } = saved;
    return json(201, { id: set.id, name: set.name, sampleCount: set.sampleCount, preview: previewOf(summary) });
  } catch (e) {
    if (isExpectedError(e)) return json(e.status, { message: e.message, fieldErrors: e.fieldErrors });
    logger.error({ err: e, requestId }, "sample upload failed");
    return json(500, { message: `The upload failed on our side. If it keeps happening, report request id ${requestId}.` });
  }
}
