import "server-only";
import { cookies, headers } from "next/headers";
import { env } from "@/lib/env";
import { clientAddress } from "./client-address";
import { KNOWN_DEVICE_COOKIE, KNOWN_DEVICE_MAX_AGE_SECONDS } from "./known-device";

/** This request's client address (lib/auth/client-address.ts), with MODELPIN_TRUST_PROXY applied. */
export async function requestClientAddress(): Promise<string> {
  return clientAddress(await headers(), env().MODELPIN_TRUST_PROXY);
}

/** The browser's known-device cookie (lib/auth/known-device.ts), if any. */
export async function readKnownDeviceCookie(): Promise<string | undefined> {
  return (await cookies()).get(KNOWN_DEVICE_COOKIE)?.value;
}

/** Sets the known-device cookie on this answer (a server action or Auth.js's sign-in). */
export async function writeKnownDeviceCookie(value: string): Promise<void> {
  const https = (await headers()).get("x-forwarded-proto") === "https" || env().AUTH_URL?.startsWith("https:") === true;
  (await cookies()).set(KNOWN_DEVICE_COOKIE, value, {
    httpOnly: true,
    sameSite: "lax",
    secure: https,
    path: "/",
    maxAge: KNOWN_DEVICE_MAX_AGE_SECONDS,
  });
}
