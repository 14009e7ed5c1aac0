import bcrypt from "bcryptjs";

const COST = 11;

export const PASSWORD_MIN_LENGTH = 10;

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash) return false;
  return bcrypt.compare(password, hash);
}

/** A valid bcrypt hash to compare against when the user does not exist (keeps timing even). */
export const DUMMY_HASH = "$2b$11$C6UzMDM.H6dfI/f/IKcEeO5Kp0vSxUjqVbZIdC1tpmBiAtgkd0Lfa";
