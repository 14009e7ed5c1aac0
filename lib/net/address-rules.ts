import ipaddr from "ipaddr.js";

/**
 * Which IP addresses an outbound request made for an admin-entered URL
 * (webhooks, the Nyckel base URL) may reach: public unicast only. Loopback,
 * private, link-local, unique-local, carrier-grade NAT, 0.0.0.0/8, multicast,
 * broadcast, documentation and other reserved ranges are refused, and so are
 * IPv6 forms that carry one of them (IPv4-mapped, IPv4-compatible, SIIT,
 * NAT64, 6to4). Teredo is refused outright (its client address is obscured).
 *
 * `allowLoopback` (MODELPIN_ALLOW_INSECURE_WEBHOOKS=true, development and the
 * test suite) lets loopback through — nothing else.
 *
 * Pure: no DNS, no environment. Hosts are taken as `new URL()` gives them, so
 * numeric forms (`2130706433`, `0x7f000001`, `127.1`, `0177.0.0.1`) arrive
 * here already in dotted form.
 */

export type AddressKind =
  | "loopback"
  | "private"
  | "link-local"
  | "unique-local"
  | "carrier-grade NAT"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "reserved";

export type AddressVerdict = { ok: true; address: string } | { ok: false; address: string; kind: AddressKind };

/** How each kind reads in "That address is … (10.0.0.1)". */
const KIND_PHRASE: Record<AddressKind, string> = {
  loopback: "a loopback address",
  private: "private",
  "link-local": "link-local",
  "unique-local": "a unique-local (private) IPv6 address",
  "carrier-grade NAT": "in the carrier-grade NAT range",
  unspecified: "unspecified",
  multicast: "multicast",
  broadcast: "the broadcast address",
  documentation: "reserved for documentation",
  reserved: "reserved (not publicly routable)",
};

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number, AddressKind];

function ranges(list: [string, AddressKind][]): Range[] {
  return list.map(([cidr, kind]) => {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    return [addr, bits, kind];
  });
}

// Order matters where ranges nest: the most specific first.
const V4_REFUSED = ranges([
  ["255.255.255.255/32", "broadcast"],
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
]);

const V6_REFUSED = ranges([
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fe80::/10", "link-local"],
  ["fc00::/7", "unique-local"],
  ["ff00::/8", "multicast"],
  ["64:ff9b:1::/48", "reserved"],
  ["100::/64", "reserved"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["2001::/23", "reserved"],
]);

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

function v4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** The IPv4 address an IPv6 form carries (mapped, compatible, SIIT, NAT64, 6to4), if any. */
function embeddedV4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = addr.parts;
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && p[5] === 0xffff) return v4FromParts(p[6]!, p[7]!); // ::ffff:a.b.c.d
  if (zero(0, 6) && (p[6] !== 0 || p[7]! > 1)) return v4FromParts(p[6]!, p[7]!); // ::a.b.c.d (deprecated "compatible")
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) return v4FromParts(p[6]!, p[7]!); // ::ffff:0:a.b.c.d (SIIT)
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(2, 6)) return v4FromParts(p[6]!, p[7]!); // 64:ff9b::a.b.c.d (NAT64)
  if (p[0] === 0x2002) return v4FromParts(p[1]!, p[2]!); // 2002:aabb:ccdd::/48 (6to4)
  return null;
}

function classifyV4(addr: ipaddr.IPv4): AddressKind | null {
  for (const [range, bits, kind] of V4_REFUSED) if (addr.match(range as ipaddr.IPv4, bits)) return kind;
  return null;
}

function classifyV6(addr: ipaddr.IPv6): AddressKind | null {
  const v4 = embeddedV4(addr);
  if (v4) return classifyV4(v4);
  for (const [range, bits, kind] of V6_REFUSED) if (addr.match(range as ipaddr.IPv6, bits)) return kind;
  if (addr.parts[0] === 0x2001 && addr.parts[1] === 0) return "reserved"; // Teredo 2001::/32
  // Outside global unicast (2000::/3) nothing is publicly routable.
  if (!addr.match(GLOBAL_UNICAST_V6 as [ipaddr.IPv6, number])) return "reserved";
  return null;
}

/** Strips URL brackets and an IPv6 zone id; null when `host` is not an IP literal. */
export function parseIpLiteral(host: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const noZone = bare.replace(/%.*$/, "");
  // Only the strict forms: the URL parser has already normalised IPv4 shorthands.
  if (ipaddr.IPv4.isValidFourPartDecimal(noZone)) return ipaddr.IPv4.parse(noZone);
  if (ipaddr.IPv6.isValid(noZone)) return ipaddr.IPv6.parse(noZone);
  return null;
}

/** Classifies one IP address. Anything that is not an IP literal is refused as reserved. */
export function classifyAddress(ip: string, options: { allowLoopback: boolean }): AddressVerdict {
  const addr = parseIpLiteral(ip);
  if (!addr) return { ok: false, address: ip, kind: "reserved" };
  const kind = addr.kind() === "ipv4" ? classifyV4(addr as ipaddr.IPv4) : classifyV6(addr as ipaddr.IPv6);
  const address = addr.toString();
  if (!kind || (kind === "loopback" && options.allowLoopback)) return { ok: true, address };
  return { ok: false, address, kind };
}

/** Host names that always mean this machine (RFC 6761), whatever DNS says. */
export function isLoopbackName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

export type HostVerdict = AddressVerdict | { ok: "resolve"; hostname: string };

/**
 * The rule for the host of a parsed URL: an IP literal is classified at once,
 * `localhost` counts as loopback, any other name must be resolved (and every
 * address checked) before connecting.
 */
export function classifyUrlHost(url: URL, options: { allowLoopback: boolean }): HostVerdict {
  const hostname = url.hostname;
  if (parseIpLiteral(hostname)) return classifyAddress(hostname, options);
  if (isLoopbackName(hostname)) {
    return options.allowLoopback ? { ok: true, address: hostname } : { ok: false, address: hostname, kind: "loopback" };
  }
  return { ok: "resolve", hostname };
}

/** "That address is private (10.0.0.1); webhooks must reach a public address." */
export function refusalMessage(verdict: { address: string; kind: AddressKind }, subject: string): string {
  return `That address is ${KIND_PHRASE[verdict.kind]} (${verdict.address}); ${subject} must reach a public address.`;
}
