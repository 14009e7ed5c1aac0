"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { setOneTimePassword } from "./passwords";
import { changeRoleSchema, createMemberSchema, oneTimePasswordSchema, setActiveSchema } from "./schemas";
import { changeMemberRole, createMember, setMemberActive } from "./service";

const membersAction = permittedActionClient("members:manage");

export const createMemberAction = membersAction.inputSchema(createMemberSchema).action(async ({ parsedInput, ctx }) => {
  const user = await createMember(ctx.service, parsedInput);
  revalidatePath("/settings/members");
  return { id: user.id, email: user.email };
});

export const changeMemberRoleAction = membersAction.inputSchema(changeRoleSchema).action(async ({ parsedInput, ctx }) => {
  const user = await changeMemberRole(ctx.service, parsedInput);
  revalidatePath("/settings/members");
  return { id: user.id, role: user.role };
});

export const setMemberActiveAction = membersAction.inputSchema(setActiveSchema).action(async ({ parsedInput, ctx }) => {
  const user = await setMemberActive(ctx.service, parsedInput);
  revalidatePath("/settings/members");
  return { id: user.id, active: user.active };
});

/** Returns the generated one-time password once, for the admin to hand over; only its hash is stored. */
export const setOneTimePasswordAction = membersAction.inputSchema(oneTimePasswordSchema).action(async ({ parsedInput, ctx }) => {
  const result = await setOneTimePassword(ctx.service, parsedInput);
  revalidatePath("/settings/members");
  return result;
});
