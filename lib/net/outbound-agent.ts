import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { classifyAddress, classifyUrlHost, parseIpLiteral, refusalMessage, type AddressKind } from "./address-rules";

/**
 * Outbound HTTP for URLs an admin typed in (webhooks, the Nyckel base URL):
 * node:http(s) agents whose DNS lookup checks EVERY address a name resolves
 * to against lib/net/address-rules before connecting, and that check IP
 * literals too (Node skips the lookup for those). The check happens at
 * connect time, on the addresses actually used, so a name that resolved to a
 * public address when the URL was saved and to 127.0.0.1 now (DNS
 * rebinding) fails to connect.
 *
 * `outboundFetch` is a fetch-compatible function on these agents for callers
 * written against fetch (the webhook delivery, the Nyckel client).
 */

export type OutboundOptions = {
  /** MODELPIN_ALLOW_INSECURE_WEBHOOKS=true: loopback is allowed (development, tests). Nothing else is. */
  allowLoopback: boolean;
  /** The resolver (default `dns.lookup`); tests pass a stub. Called with `all: true`. */
  resolve?: (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;
};

/** A connection refused because of where it would go. `code` lets error mappers recognise it. */
export class OutboundAddressError extends Error {
  readonly code = "ERR_OUTBOUND_ADDRESS_REFUSED";
  constructor(
    readonly address: string,
    readonly kind: AddressKind,
  ) {
    super(refusalMessage({ address, kind }, "outbound requests"));
    this.name = "OutboundAddressError";
  }
}

export function isOutboundAddressError(err: unknown): err is OutboundAddressError {
  return (err as { code?: unknown } | null)?.code === "ERR_OUTBOUND_ADDRESS_REFUSED";
}

const defaultResolve: NonNullable<OutboundOptions["resolve"]> = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** A `lookup` for net.connect that resolves, checks every address, and fails the connection otherwise. */
export function checkedLookup(options: OutboundOptions): net.LookupFunction {
  const resolve = options.resolve ?? defaultResolve;
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) return callback(err, "");
      if (!addresses.length) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "");
      for (const a of addresses) {
        const verdict = classifyAddress(a.address, options);
        if (!verdict.ok) return callback(new OutboundAddressError(verdict.address, verdict.kind), "");
      }
      if (lookupOptions.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

type ConnectionCallback = (err: Error | null, stream: Duplex) => void;

/**
 * For IP-literal targets, which Node connects to without a lookup: when the
 * address is refused, calls back with the refusal and returns true.
 */
function refusedLiteral(target: { host?: string | null; hostname?: string | null }, rules: OutboundOptions, callback?: ConnectionCallback): boolean {
  const host = target.host ?? target.hostname;
  if (!host || !parseIpLiteral(host)) return false;
  const verdict = classifyAddress(host, rules);
  if (verdict.ok) return false;
  callback?.(new OutboundAddressError(verdict.address, verdict.kind), undefined as unknown as Duplex);
  return true;
}

class CheckedHttpAgent extends http.Agent {
  constructor(private readonly rules: OutboundOptions) {
    super({ keepAlive: true, timeout: 4_000, lookup: checkedLookup(rules) });
  }
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectionCallback) {
    return refusedLiteral(options, this.rules, callback) ? undefined : super.createConnection(options, callback);
  }
}

class CheckedHttpsAgent extends https.Agent {
  constructor(private readonly rules: OutboundOptions) {
    super({ keepAlive: true, timeout: 4_000, lookup: checkedLookup(rules) });
  }
  override createConnection(options: https.RequestOptions, callback?: ConnectionCallback) {
    return refusedLiteral(options, this.rules, callback) ? undefined : super.createConnection(options, callback);
  }
}

export type OutboundAgents = { http: http.Agent; https: https.Agent };

export function createOutboundAgents(options: OutboundOptions): OutboundAgents {
  return { http: new CheckedHttpAgent(options), https: new CheckedHttpsAgent(options) };
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function fetchFailed(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

/**
 * A fetch on checked agents. Supports what Modelpin's callers use: method,
 * headers, a body (string, bytes, FormData, URLSearchParams), `signal`.
 * Redirects are never followed (the answer is returned as it is, like
 * `redirect: "manual"`). Failures reject like fetch: a TypeError whose
 * `cause` is the network error (an OutboundAddressError for a refused
 * address), or the signal's reason when aborted.
 */
export function createOutboundFetch(options: OutboundOptions): typeof fetch {
  const agents = createOutboundAgents(options);
  return async function outboundFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw fetchFailed(new Error(`Unsupported protocol ${url.protocol}`));
    const host = classifyUrlHost(url, options);
    if (host.ok === false) throw fetchFailed(new OutboundAddressError(host.address, host.kind));
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : null;
    const headers: Record<string, string> = Object.fromEntries(request.headers);
    if (body) headers["content-length"] = String(body.byteLength);
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const req = transport.request(
        url,
        { method: request.method, headers, agent: url.protocol === "https:" ? agents.https : agents.http, signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 599) {
            res.destroy();
            return reject(fetchFailed(new Error(`Unexpected HTTP status ${status}`)));
          }
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const nullBody = NULL_BODY_STATUSES.has(status) || request.method === "HEAD";
          if (nullBody) res.resume();
          const stream = nullBody ? null : toWebStream(res);
          resolve(new Response(stream, { status, statusText: res.statusMessage ?? "", headers: responseHeaders }));
        },
      );
      req.on("error", (err) => reject(signal?.aborted ? signal.reason : fetchFailed(err)));
      req.end(body ?? undefined);
    });
  };
}

/** A web stream over an IncomingMessage; cancelling it closes the connection. */
function toWebStream(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        controller.error(err);
      };
      res.on("data", (chunk: Buffer) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      res.on("error", fail);
      res.on("aborted", () => fail(fetchFailed(new Error("The connection closed before the answer ended."))));
    },
    pull() {
      res.resume();
    },
    cancel() {
      settled = true;
      res.destroy();
    },
  });
}
