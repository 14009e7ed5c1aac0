"use server";

import { revalidatePath } from "next/cache";
import { callService, permittedActionClient } from "@/lib/actions/safe-action";
import { setOneTimePassword } from "./passwords";
import { changeRoleSchema, createMemberSchema, oneTimePasswordSchema, setActiveSchema } from "./schemas";
import { changeMemberRole, createMember, setMemberActive } from "./service";

const membersAction = permittedActionClient("members:manage");

/** After a member changed: the members page, and `reply` for the browser. */
const membersChanged =
  <R, O>(reply: (result: R) => O) =>
  (result: R): O => {
    revalidatePath("/settings/members");
    return reply(result);
  };

export const createMemberAction = membersAction.inputSchema(createMemberSchema).action(callService(createMember, membersChanged((user) => ({ id: user.id, email: user.email }))));

export const changeMemberRoleAction = membersAction.inputSchema(changeRoleSchema).action(callService(changeMemberRole, membersChanged((user) => ({ id: user.id, role: user.role }))));

export const setMemberActiveAction = membersAction.inputSchema(setActiveSchema).action(callService(setMemberActive, membersChanged((user) => ({ id: user.id, active: user.active }))));

/** Returns the generated one-time password once, for the admin to hand over; only its hash is stored. */
export const setOneTimePasswordAction = membersAction.inputSchema(oneTimePasswordSchema).action(callService(setOneTimePassword, membersChanged((result) => result)));
