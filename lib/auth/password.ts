import { randomInt } from "node:crypto";
import bcrypt from "bcryptjs";

export const PASSWORD_COST = 11;

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, PASSWORD_COST);
}

export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash) return false;
  return bcrypt.compare(password, hash);
}

/**
 * A valid bcrypt hash, of the same cost as real ones, to compare against when
 * the email is unknown or the member has no password (keeps timing even).
 */
export const DUMMY_HASH = "$2b$11$C6UzMDM.H6dfI/f/IKcEeO5Kp0vSxUjqVbZIdC1tpmBiAtgkd0Lfa";

/** Letters and digits without look-alikes (no 0/O, 1/l/I). */
const ONE_TIME_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A one-time password an admin hands over: 4 groups of 4 (about 93 bits), like `Kq7m-x2Pa-…`. */
export function generateOneTimePassword(): string {
  const groups = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => ONE_TIME_ALPHABET[randomInt(ONE_TIME_ALPHABET.length)]).join(""));
  return groups.join("-");
}
