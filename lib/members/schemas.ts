import { z } from "zod";
import { NEW_PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/lib/auth/password-rules";
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
    .max(PASSWORD_MAX_LENGTH, `Passwords are at most ${PASSWORD_MAX_LENGTH} characters.`),
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

/** The account page: the member's own password (the form and the service share it). */
export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password.").max(PASSWORD_MAX_LENGTH, "That is not your current password."),
    newPassword: z
      .string()
      .min(NEW_PASSWORD_MIN_LENGTH, `Choose at least ${NEW_PASSWORD_MIN_LENGTH} characters.`)
      .max(PASSWORD_MAX_LENGTH, `Passwords are at most ${PASSWORD_MAX_LENGTH} characters.`),
    confirmPassword: z.string().max(PASSWORD_MAX_LENGTH, "The two new passwords differ."),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The two new passwords differ." });

export const oneTimePasswordSchema = z.object({
  userId: z.uuid("Unknown member."),
});

export type ChangePasswordInput = z.infer<typeof changePasswordSchema>;
