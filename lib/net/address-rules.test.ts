import { describe, expect, it } from "vitest";
import { classifyAddress, classifyUrlHost, refusalMessage } from "./address-rules";

const strict = { allowLoopback: false };
const dev = { allowLoopback: true };

function hostOf(url: string, options = strict) {
  return classifyUrlHost(new URL(url), options);
}

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.254", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.10", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["2001::1", "reserved"], // Teredo
    ["64:ff9b:1::a00:1", "reserved"], // local-use NAT64
  ])("refuses %s as %s", (ip, kind) => {
    expect(classifyAddress(ip, strict)).toMatchObject({ ok: false, kind });
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback", "::ffff:7f00:1"],
    ["::ffff:7f00:1", "loopback", "::ffff:7f00:1"],
    ["::ffff:10.0.0.1", "private", "::ffff:a00:1"],
    ["::ffff:169.254.169.254", "link-local", "::ffff:a9fe:a9fe"],
    ["::7f00:1", "loopback", "::7f00:1"],
    ["::ffff:0:10.1.2.3", "private", "::ffff:0:a01:203"],
    ["64:ff9b::127.0.0.1", "loopback", "64:ff9b::7f00:1"],
    ["64:ff9b::a9fe:a9fe", "link-local", "64:ff9b::a9fe:a9fe"],
    ["2002:a00:1::1", "private", "2002:a00:1::1"], // 6to4 of 10.0.0.1
    ["2002:7f00:1::", "loopback", "2002:7f00:1::"],
  ])("refuses the IPv6 form %s of a %s address", (ip, kind, address) => {
    expect(classifyAddress(ip, strict)).toEqual({ ok: false, kind, address });
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"])(
    "allows the public address %s",
    (ip) => {
      expect(classifyAddress(ip, strict).ok).toBe(true);
    },
  );

  it("allows loopback, and only loopback, with the development flag", () => {
    expect(classifyAddress("127.0.0.1", dev).ok).toBe(true);
    expect(classifyAddress("::1", dev).ok).toBe(true);
    expect(classifyAddress("::ffff:127.0.0.1", dev).ok).toBe(true);
    expect(classifyAddress("10.0.0.1", dev)).toMatchObject({ ok: false, kind: "private" });
    expect(classifyAddress("169.254.169.254", dev)).toMatchObject({ ok: false, kind: "link-local" });
    expect(classifyAddress("fc00::1", dev)).toMatchObject({ ok: false, kind: "unique-local" });
  });

  it("refuses what is not an IP address", () => {
    expect(classifyAddress("example.com", dev).ok).toBe(false);
  });
});

describe("classifyUrlHost (hosts as the URL parser gives them)", () => {
  it.each([
    ["https://2130706433/", "127.0.0.1"],
    ["https://0x7f000001/", "127.0.0.1"],
    ["https://127.1/", "127.0.0.1"],
    ["https://0177.0.0.1/", "127.0.0.1"],
    ["https://0x7f.0.0.1/", "127.0.0.1"],
    ["https://017700000001/", "127.0.0.1"],
  ])("normalises %s to %s and refuses it", (url, address) => {
    expect(hostOf(url)).toEqual({ ok: false, kind: "loopback", address });
  });

  it.each([
    ["https://169.254.169.254/latest/meta-data/", "link-local"],
    ["https://10.0.0.1/", "private"],
    ["https://[::ffff:127.0.0.1]/", "loopback"],
    ["https://[::1]:8443/", "loopback"],
    ["https://[fe80::1]/", "link-local"],
    ["https://localhost/", "loopback"],
    ["https://api.localhost./", "loopback"],
    ["https://0.0.0.0/", "unspecified"],
    ["https://167772161/", "private"], // 10.0.0.1
  ])("refuses %s", (url, kind) => {
    expect(hostOf(url)).toMatchObject({ ok: false, kind });
  });

  it("asks for DNS resolution of other names", () => {
    expect(hostOf("https://hooks.example.com/x")).toEqual({ ok: "resolve", hostname: "hooks.example.com" });
  });

  it("lets localhost through with the development flag", () => {
    expect(hostOf("http://localhost:3000/", dev)).toMatchObject({ ok: true });
    expect(hostOf("http://127.0.0.1:3000/", dev)).toMatchObject({ ok: true });
  });
});

describe("refusalMessage", () => {
  it("names the kind and the address", () => {
    expect(refusalMessage({ kind: "private", address: "10.0.0.1" }, "webhooks")).toBe(
      "That address is private (10.0.0.1); webhooks must reach a public address.",
    );
  });
});
