import { z } from "zod";
import { codeForStatus, route, routeError } from "@/lib/api/route";
import { NotFoundError } from "@/lib/errors";
import { getFunctionDetail } from "@/lib/functions/queries";
import { logger } from "@/lib/logger";
import { previewOf } from "@/lib/samples/preview";
import { saveSampleSetUpload } from "@/lib/samples/service";
import { inputKindFor, readSampleUpload } from "@/lib/samples/upload";

// Uploads stream through this route handler (server actions cap bodies at 1 MB).
export const runtime = "nodejs";
export const maxDuration = 300;

const NOT_FOUND = "That function does not exist.";
const params = z.object({ functionId: z.string().min(1).max(200) });
const query = z.object({ preview: z.enum(["0", "1"], "preview is 1 or absent.").optional() });

/**
 * POST multipart: `?preview=1` answers what was understood (nothing is kept);
 * otherwise saves the set while the upload streams (lib/samples/service.ts).
 * Both read the body in bounded memory and answer 413 as soon as it is too large.
 * A refused upload answers the route error body, with `preview` beside it when
 * the file was read (e.g. every row rejected: the reasons).
 */
export const POST = route({ permission: "samples:write", params, query, notFound: NOT_FOUND }, async ({ request, params, query, service, requestId }) => {
  const fn = await getFunctionDetail(params.functionId);
  if (!fn) throw new NotFoundError(NOT_FOUND);
  const inputKind = inputKindFor(fn.inputType);
  const refused = (status: number, message: string, extra?: Record<string, unknown>) => {
    // One line per refused upload; never the stack of a client's mistake.
    logger.warn({ requestId, functionId: fn.id, status }, `sample upload refused: ${message}`);
    return routeError(status, codeForStatus(status), message, requestId, undefined, extra);
  };
  if (query.preview === "1") {
    const upload = await readSampleUpload(request, inputKind);
    if (!upload.ok) return refused(upload.status, upload.message);
    return Response.json(previewOf(upload.summary));
  }
  const saved = await saveSampleSetUpload(service, { functionId: fn.id, inputKind }, request);
  if (!saved.ok) return refused(saved.status, saved.message, saved.summary ? { preview: previewOf(saved.summary) } : undefined);
  const { set, summary } = saved;
  return Response.json({ id: set.id, name: set.name, sampleCount: set.sampleCount, preview: previewOf(summary) }, { status: 201 });
});
