"use server";

import { actionClient } from "@/lib/actions/safe-action";
import { deviceKey, rememberDevice } from "@/lib/auth/known-device";
import { readKnownDeviceCookie, requestClientAddress, writeKnownDeviceCookie } from "@/lib/auth/request-context";
import { getSignedInMember } from "@/lib/session/current";
import { userContext } from "@/lib/context";
import { env } from "@/lib/env";
import { InvalidInputError, UnauthorizedError } from "@/lib/errors";
import { NUL_MESSAGE, containsNul } from "@/lib/validation";
import { changeOwnPassword } from "@/lib/members/passwords";
import { changePasswordSchema } from "@/lib/members/schemas";

/**
 * The account page's client: like `authedActionClient`, but it also serves a
 * member who must still replace a one-time password (every other action
 * refuses them until they have).
 */
const accountActionClient = actionClient.use(async ({ next, ctx, clientInput }) => {
  const member = await getSignedInMember();
  if (!member) throw new UnauthorizedError("Your session has ended. Sign in again.");
  if (containsNul(clientInput)) throw new InvalidInputError(NUL_MESSAGE);
  return next({ ctx: { member, service: userContext(member, ctx.requestId) } });
});

/**
 * The account page's password change. Every other session of the member ends
 * (new epoch); this one is kept and stays signed in, and this browser stays a
 * known device for the sign-in throttle.
 */
export const changeOwnPasswordAction = accountActionClient.inputSchema(changePasswordSchema).action(async ({ parsedInput, ctx }) => {
  const { sessionEpoch } = await changeOwnPassword(ctx.service, parsedInput, { address: requestClientAddress, sessionId: ctx.member.sessionId });
  const member = { id: ctx.member.id, sessionEpoch };
  await writeKnownDeviceCookie(rememberDevice(await readKnownDeviceCookie(), member, deviceKey(env().AUTH_SECRET)));
  return { changed: true, wasOneTime: ctx.member.mustChangePassword };
});
