import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * The known-device cookie: after a password sign-in, the browser keeps a
 * signed note "this browser signed in to member X", and the per-account
 * throttle (its delay) spares it. So an attacker who floods one account from
 * many addresses slows down strangers, never the member's own browsers.
 *
 * Value: up to MAX_ENTRIES entries `<memberId>.<issuedAt seconds>.<mac>` joined
 * by `~`, newest first. The mac is an HMAC-SHA256 over id, time and the
 * member's session epoch, with a key derived (HKDF) from AUTH_SECRET: a
 * password change or reset (new epoch) makes the member's old notes worthless.
 */
export const KNOWN_DEVICE_COOKIE = "modelpin-known-device";
export const KNOWN_DEVICE_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;
const MAX_ENTRIES = 5;
const ENTRY = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export type DeviceMember = { id: string; sessionEpoch: string };

/** The HMAC key, derived from the auth secret so it differs from every other use of it. */
export function deviceKey(authSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", authSecret, "modelpin", "known-device-cookie v1", 32));
}

function mac(key: Buffer, memberId: string, issuedAt: number, epoch: string): string {
  return createHmac("sha256", key).update(`${memberId}.${issuedAt}.${epoch}`).digest("base64url");
}

type Entry = { memberId: string; issuedAt: number; mac: string; raw: string };

function entries(cookie: string | null | undefined, nowSeconds: number): Entry[] {
  if (!cookie || cookie.length > 2_000) return [];
  return cookie
    .split("~")
    .map((raw) => {
      const m = ENTRY.exec(raw);
      return m ? { memberId: m[1]!, issuedAt: Number(m[2]), mac: m[3]!, raw } : null;
    })
    .filter((e): e is Entry => e !== null && e.issuedAt <= nowSeconds + 60 && nowSeconds - e.issuedAt < KNOWN_DEVICE_MAX_AGE_SECONDS);
}

/** Whether the cookie holds a valid, unexpired note for this member under their current epoch. */
export function isKnownDevice(cookie: string | null | undefined, member: DeviceMember, key: Buffer, now = Date.now()): boolean {
  const nowSeconds = Math.floor(now / 1000);
  return entries(cookie, nowSeconds).some((e) => {
    if (e.memberId !== member.id) return false;
    const expected = Buffer.from(mac(key, member.id, e.issuedAt, member.sessionEpoch));
    const given = Buffer.from(e.mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** The cookie after a sign-in of this member: a fresh note first, then the browser's notes for other members. */
export function rememberDevice(cookie: string | null | undefined, member: DeviceMember, key: Buffer, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000);
  const fresh = `${member.id}.${issuedAt}.${mac(key, member.id, issuedAt, member.sessionEpoch)}`;
  const others = entries(cookie, issuedAt).filter((e) => e.memberId !== member.id).map((e) => e.raw);
  return [fresh, ...others].slice(0, MAX_ENTRIES).join("~");
}
