import { NextResponse } from "next/server";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { newRequestId, userContext } from "@/lib/context";
import { isExpectedError } from "@/lib/errors";
import { getFunctionDetail } from "@/lib/functions/queries";
import { logger } from "@/lib/logger";
import { previewOf } from "@/lib/samples/preview";
import { createSampleSet } from "@/lib/samples/service";
import { inputKindFor, readSampleUpload } from "@/lib/samples/upload";

// Uploads stream through this route handler (server actions cap bodies at 1 MB).
export const runtime = "nodejs";
export const maxDuration = 300;

const json = (status: number, body: unknown) => NextResponse.json(body, { status });

/** POST multipart: `?preview=1` answers what was understood; otherwise saves the set. */
export async function POST(request: Request, { params }: { params: Promise<{ functionId: string }> }) {
  const requestId = newRequestId();
  const user = await getCurrentUser();
  if (!user) return json(401, { message: "Sign in to upload samples." });
  if (!can(user.role, "samples:write")) return json(403, { message: "Your role does not allow uploading samples." });
  const { functionId } = await params;
  const fn = await getFunctionDetail(functionId);
  if (!fn) return json(404, { message: "That function does not exist." });
  try {
    const upload = await readSampleUpload(request, inputKindFor(fn.inputType));
    if (!upload.ok) return json(upload.status, { message: upload.message });
    const preview = previewOf(upload.result);
    if (new URL(request.url).searchParams.get("preview") === "1") return json(200, preview);
    if (upload.result.error) return json(400, { message: upload.result.error, preview });
    const set = await createSampleSet(userContext(user, requestId), { functionId: fn.id, name: upload.fields.name, result: upload.result });
    return json(201, { id: set.id, name: set.name, sampleCount: set.sampleCount, preview });
  } catch (e) {
    if (isExpectedError(e)) return json(e.status, { message: e.message, fieldErrors: e.fieldErrors });
    logger.error({ err: e, requestId }, "sample upload failed");
    return json(500, { message: `The upload failed on our side. If it keeps happening, report request id ${requestId}.` });
  }
}
