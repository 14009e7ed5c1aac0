import type dns from "node:dns";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkedLookup, createOutboundAgents, createOutboundFetch, isOutboundAddressError, type OutboundOptions } from "./outbound-agent";

/** A local receiver counting the requests that reach it. */
let server: http.Server;
let port: number;
let hits: { method: string; url: string; body: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString(), contentType: req.headers["content-type"] });
      if (req.url === "/empty") {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(201, { "content-type": "text/plain", "x-seen": "yes" }).end(`got ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  hits = [];
});

/** A DNS stub: every name resolves to these addresses. */
function stubResolve(...addresses: string[]): NonNullable<OutboundOptions["resolve"]> {
  return (_hostname, _options, callback) =>
    callback(
      null,
      addresses.map((address): dns.LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TypeError);
  return (err as TypeError).cause;
}

describe("checkedLookup", () => {
  it("fails a name that resolves to a refused address, naming it", async () => {
    const lookup = checkedLookup({ allowLoopback: false, resolve: stubResolve("93.184.216.34", "10.0.0.7") });
    const err = await new Promise((r) => lookup("mixed.test", { all: true }, (e) => r(e)));
    expect(isOutboundAddressError(err)).toBe(true);
    expect((err as Error).message).toContain("private (10.0.0.7)");
  });

  it("answers with the addresses when every one is public", async () => {
    const lookup = checkedLookup({ allowLoopback: false, resolve: stubResolve("93.184.216.34", "2606:4700::1") });
    const one = await new Promise((r) => lookup("ok.test", {}, (e, address, family) => r([e, address, family])));
    expect(one).toEqual([null, "93.184.216.34", 4]);
    const all = await new Promise((r) => lookup("ok.test", { all: true }, (e, addresses) => r([e, addresses])));
    expect(all).toEqual([null, [{ address: "93.184.216.34", family: 4 }, { address: "2606:4700::1", family: 6 }]]);
  });
});

describe("outbound fetch", () => {
  it("refuses at connect time a name that now resolves to 127.0.0.1 (DNS rebinding), and sends nothing", async () => {
    const fetchChecked = createOutboundFetch({ allowLoopback: false, resolve: stubResolve("127.0.0.1") });
    const cause = await refusal(fetchChecked(`http://rebind.example.test:${port}/hook`, { method: "POST", body: "secret payload" }));
    expect(isOutboundAddressError(cause)).toBe(true);
    expect((cause as Error).message).toContain("loopback address (127.0.0.1)");
    expect(hits).toEqual([]);
  });

  it("connects through the same name when the development flag allows loopback", async () => {
    const fetchChecked = createOutboundFetch({ allowLoopback: true, resolve: stubResolve("127.0.0.1") });
    const res = await fetchChecked(`http://rebind.example.test:${port}/hook?x=1`, { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-seen")).toBe("yes");
    expect(await res.text()).toBe("got POST /hook?x=1");
    expect(hits).toEqual([{ method: "POST", url: "/hook?x=1", body: '{"a":1}', contentType: "application/json" }]);
  });

  it("still refuses a private address with the development flag", async () => {
    const fetchChecked = createOutboundFetch({ allowLoopback: true, resolve: stubResolve("10.0.0.1") });
    const cause = await refusal(fetchChecked(`http://internal.test:${port}/`));
    expect((cause as Error).message).toContain("private (10.0.0.1)");
  });

  it.each(["http://127.0.0.1", "http://2130706433", "http://0x7f000001", "http://127.1", "http://[::ffff:127.0.0.1]", "http://localhost"])(
    "refuses the literal host %s without the flag before connecting",
    async (origin) => {
      const fetchChecked = createOutboundFetch({ allowLoopback: false });
      const cause = await refusal(fetchChecked(`${origin}:${port}/`));
      expect(isOutboundAddressError(cause)).toBe(true);
      expect(hits).toEqual([]);
    },
  );

  it("sends multipart bodies and returns null bodies for 204", async () => {
    const fetchChecked = createOutboundFetch({ allowLoopback: true });
    const form = new FormData();
    form.append("data", new Blob([new Uint8Array([1, 2, 3])], { type: "image/png" }), "a.png");
    const res = await fetchChecked(`http://127.0.0.1:${port}/upload`, { method: "POST", body: form });
    expect(res.status).toBe(201);
    expect(hits[0]!.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const empty = await fetchChecked(`http://127.0.0.1:${port}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it("rejects with the signal's reason when aborted", async () => {
    const fetchChecked = createOutboundFetch({ allowLoopback: true });
    const controller = new AbortController();
    controller.abort(new DOMException("gone", "TimeoutError"));
    await expect(fetchChecked(`http://127.0.0.1:${port}/`, { signal: controller.signal })).rejects.toMatchObject({ name: "TimeoutError" });
  });
});

describe("the agents on their own", () => {
  it("refuse an IP-literal target that Node would connect to without a lookup", async () => {
    const agents = createOutboundAgents({ allowLoopback: false });
    const err = await new Promise((resolve) => {
      const req = http.request({ host: "127.0.0.1", port, path: "/", agent: agents.http }, () => resolve(null));
      req.on("error", resolve);
      req.end();
    });
    expect(isOutboundAddressError(err)).toBe(true);
    expect(hits).toEqual([]);
  });
});
