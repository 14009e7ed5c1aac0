import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOCKET_ADDRESS_HEADER, UNKNOWN_ADDRESS, clientAddress, normalizeAddress, stampSocketAddresses } from "./client-address";

describe("normalizeAddress", () => {
  it("keeps IPv4, unmaps IPv4-mapped IPv6, strips ports and brackets, counts IPv6 per /64", () => {
    expect(normalizeAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(normalizeAddress(" ::ffff:127.0.0.1 ")).toBe("127.0.0.1");
    expect(normalizeAddress("203.0.113.7:51234")).toBe("203.0.113.7");
    expect(normalizeAddress("[2001:db8:1:2:3:4:5:6]:443")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("2001:db8:1:2:ffff::1")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::/64");
  });

  it("refuses what is no address", () => {
    for (const bad of ["", "unknown", "evil.example", "1.2.3.4.5", "<script>"]) expect(normalizeAddress(bad)).toBeNull();
  });
});

describe("clientAddress: the socket's address unless a proxy is trusted", () => {
  let server: http.Server;
  let url: string;
  let trust = false;

  beforeAll(async () => {
    stampSocketAddresses();
    server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      res.end(clientAddress(headers, trust));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ask = async (headers: Record<string, string>) => (await fetch(url, { headers })).text();

  it("ignores a client's own X-Forwarded-For and a forged stamp", async () => {
    trust = false;
    expect(await ask({})).toBe("127.0.0.1");
    expect(await ask({ "x-forwarded-for": "198.51.100.9", [SOCKET_ADDRESS_HEADER]: "forged-nonce 198.51.100.10" })).toBe("127.0.0.1");
  });

  it("with MODELPIN_TRUST_PROXY takes X-Forwarded-For's first entry, and falls back to the socket when it is no address", async () => {
    trust = true;
    expect(await ask({ "x-forwarded-for": "198.51.100.9, 10.0.0.2" })).toBe("198.51.100.9");
    expect(await ask({ "x-forwarded-for": "nonsense" })).toBe("127.0.0.1");
    expect(await ask({})).toBe("127.0.0.1");
  });

  it("a request that was never stamped has an unknown address", () => {
    expect(clientAddress(new Headers({ [SOCKET_ADDRESS_HEADER]: "x 127.0.0.1" }), false)).toBe(UNKNOWN_ADDRESS);
  });
});
