import "server-only";
import dns from "node:dns";
import { env } from "@/lib/env";
import { classifyAddress, classifyUrlHost, refusalMessage } from "./address-rules";
import { createOutboundAgents, createOutboundFetch, type OutboundAgents, type OutboundOptions } from "./outbound-agent";

/**
 * This server's outbound rules: loopback is allowed only with
 * MODELPIN_ALLOW_INSECURE_WEBHOOKS=true (development, the test suite).
 */

type Resolver = NonNullable<OutboundOptions["resolve"]>;

let resolverOverride: Resolver | null = null;
let cached: { key: string; fetch: typeof fetch } | null = null;
let cachedAgents: { key: string; agents: OutboundAgents } | null = null;

/** Tests: answer DNS lookups of the outbound checks with this stub (null: the system resolver). */
export function setOutboundResolverForTests(resolve: Resolver | null): void {
  resolverOverride = resolve;
  cached = null;
  cachedAgents = null;
}

export function outboundOptions(): OutboundOptions {
  return { allowLoopback: env().MODELPIN_ALLOW_INSECURE_WEBHOOKS, ...(resolverOverride ? { resolve: resolverOverride } : {}) };
}

/** A fetch whose connections may only reach public addresses (loopback too in development). */
export function outboundFetch(): typeof fetch {
  const options = outboundOptions();
  const key = String(options.allowLoopback);
  if (!cached || cached.key !== key) cached = { key, fetch: createOutboundFetch(options) };
  return cached.fetch;
}

/** Keep-alive agents whose connections may only reach public addresses (the invoke proxy's pass-through). */
export function outboundAgents(): OutboundAgents {
  const options = outboundOptions();
  const key = String(options.allowLoopback);
  if (!cachedAgents || cachedAgents.key !== key) cachedAgents = { key, agents: createOutboundAgents(options) };
  return cachedAgents.agents;
}

const SAVE_TIME_LOOKUP_MS = 3_000;

/**
 * The save-time check of a URL's host (the connect-time check still runs on
 * every request): an IP literal or `localhost` is judged at once, a name is
 * resolved and every address checked. A name that does not resolve (yet) is
 * accepted: it cannot reach anything private, and deliveries say "host not
 * found". Returns the message for the URL field, or null when allowed.
 */
export async function outboundUrlRefusal(url: string, subject: string): Promise<string | null> {
  const options = outboundOptions();
  const host = classifyUrlHost(new URL(url), options);
  if (host.ok === true) return null;
  if (host.ok === false) return refusalMessage(host, subject);
  const resolve: Resolver = options.resolve ?? ((name, o, cb) => dns.lookup(name, o, cb));
  const addresses = await new Promise<dns.LookupAddress[]>((done) => {
    const timer = setTimeout(() => done([]), SAVE_TIME_LOOKUP_MS);
    resolve(host.hostname, { all: true }, (err, found) => {
      clearTimeout(timer);
      done(err ? [] : found);
    });
  });
  for (const a of addresses) {
    const verdict = classifyAddress(a.address, options);
    if (!verdict.ok) return refusalMessage({ kind: verdict.kind, address: `${host.hostname} → ${verdict.address}` }, subject);
  }
  return null;
}
