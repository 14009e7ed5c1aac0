import "server-only";
import { createSafeActionClient } from "next-safe-action";
import { requirePermission, type Permission } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/session/current";
import { newRequestId, userContext, type ServiceContext } from "@/lib/context";
import { InvalidInputError, UnauthorizedError, isExpectedError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { NUL_MESSAGE, containsNul } from "@/lib/validation";

/** What a failed action returns to the browser as `serverError`. */
export type ActionError = {
  message: string;
  code: string;
  fieldErrors?: Record<string, string[]>;
  requestId?: string;
};

/**
 * The one server-action client. Expected errors (lib/errors.ts) reach the
 * user with their message; anything else is logged with a request id and the
 * user gets a generic message naming that id.
 */
export const actionClient = createSafeActionClient({
  defaultValidationErrorsShape: "flattened",
  handleServerError(error, utils): ActionError {
    const requestId = (utils.ctx as { requestId?: string } | undefined)?.requestId ?? newRequestId();
    if (isExpectedError(error)) {
      return { message: error.message, code: error.code, fieldErrors: error.fieldErrors };
    }
    logger.error({ err: error, requestId, metadata: utils.metadata }, "server action failed");
    return {
      message: `Something went wrong on our side. If it keeps happening, report request id ${requestId}.`,
      code: "internal",
      requestId,
    };
  },
}).use(async ({ next }) => next({ ctx: { requestId: newRequestId() } }));

/**
 * Actions that need a signed-in, active member: puts the user and a service context in ctx.
 * Input with a NUL character anywhere is refused here, for every action: PostgreSQL cannot
 * store or even compare U+0000 in text, so it would otherwise fail deep in a query.
 */
export const authedActionClient = actionClient.use(async ({ next, ctx, clientInput }) => {
  const user = await getCurrentUser();
  if (!user) throw new UnauthorizedError("Your session has ended. Sign in again.");
  if (containsNul(clientInput)) throw new InvalidInputError(NUL_MESSAGE);
  return next({ ctx: { user, service: userContext(user, ctx.requestId) } });
});

/** Actions that need one permission: checked before the input is even validated. */
export function permittedActionClient(permission: Permission) {
  return authedActionClient.use(async ({ next, ctx }) => {
    requirePermission(ctx.user, permission);
    return next();
  });
}

/**
 * The body of an action that calls one service function with the member's
 * service context, then `done` with its result: revalidate, and choose what
 * the browser gets back.
 */
export function callService<I, R, O>(run: (service: ServiceContext, input: I) => Promise<R>, done: (result: R) => O) {
  return async ({ parsedInput, ctx }: { parsedInput: I; ctx: { service: ServiceContext } }): Promise<O> => done(await run(ctx.service, parsedInput));
}
