import { z } from "zod";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/password";
import { ROLES } from "@/lib/auth/permissions";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "Enter an email address.")
  .max(254, "Email addresses are at most 254 characters.")
  .email("Enter a valid email address, like name@example.com.");

export const roleSchema = z.enum(ROLES, { message: "Choose a role: viewer, editor, approver or admin." });

export const createMemberSchema = z.object({
  email: emailSchema,
  name: z.string().trim().min(1, "Enter a name.").max(120, "Names are at most 120 characters."),
  role: roleSchema,
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `Passwords are at least ${PASSWORD_MIN_LENGTH} characters.`)
    .max(200, "Passwords are at most 200 characters."),
});

export const changeRoleSchema = z.object({
  userId: z.uuid("Unknown member."),
  role: roleSchema,
});

export const setActiveSchema = z.object({
  userId: z.uuid("Unknown member."),
  active: z.boolean(),
});

export type CreateMemberInput = z.infer<typeof createMemberSchema>;
