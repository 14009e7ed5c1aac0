import { randomBytes, timingSafeEqual } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * The client address of a request, for the sign-in throttle.
 *
 * Next.js hides the TCP peer from app code (and keeps an `x-forwarded-for`
 * the client sent itself), so each server process stamps every request with
 * its socket's address, from Node's `http.server.request.start` diagnostics
 * channel, before Next sees it. The stamp carries a per-process random nonce:
 * a client that sends the header itself is ignored.
 *
 * With MODELPIN_TRUST_PROXY=true the first entry of `x-forwarded-for` wins
 * instead: only for a reverse proxy that sets that header itself (README "Security").
 * IPv6 clients are counted per /64, the block one subscriber usually holds.
 */
export const SOCKET_ADDRESS_HEADER = "x-modelpin-socket-address";
export const UNKNOWN_ADDRESS = "unknown";
const NONCE = Symbol.for("modelpin.socketAddressNonce");

type Stamped = typeof globalThis & { [NONCE]?: string };

/** Starts stamping requests in this process (once; from lib/startup.ts). */
export function stampSocketAddresses(): void {
  const g = globalThis as Stamped;
  if (g[NONCE]) return;
  const nonce = randomBytes(18).toString("base64url");
  g[NONCE] = nonce;
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    request.headers[SOCKET_ADDRESS_HEADER] = `${nonce} ${socket.remoteAddress ?? ""}`;
  });
}

/** The stamped socket address, or null when the request was not stamped by this process. */
export function socketAddress(headers: Headers): string | null {
  const nonce = (globalThis as Stamped)[NONCE];
  const value = headers.get(SOCKET_ADDRESS_HEADER);
  if (!nonce || !value) return null;
  const space = value.indexOf(" ");
  const given = Buffer.from(space > 0 ? value.slice(0, space) : "");
  const expected = Buffer.from(nonce);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return normalizeAddress(value.slice(space + 1));
}

export function clientAddress(headers: Headers, trustProxy: boolean): string {
  if (trustProxy) {
    const first = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    const address = first ? normalizeAddress(first) : null;
    if (address) return address;
  }
  return socketAddress(headers) ?? UNKNOWN_ADDRESS;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; `[2001:db8::1]:443` → `2001:db8::/64`; anything else that is no address → null. */
export function normalizeAddress(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(":"));
  s = s.replace(/%[\w.-]+$/, ""); // an IPv6 zone id
  if (!ipaddr.isValid(s)) return null;
  const address = ipaddr.process(s);
  if (address.kind() === "ipv4") return address.toString();
  const bytes = address.toByteArray().map((b, i) => (i < 8 ? b : 0));
  return `${ipaddr.fromByteArray(bytes).toString()}/64`;
}
