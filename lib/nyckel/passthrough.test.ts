import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NyckelClient } from "./client";
import { createOutboundAgents, isOutboundAddressError, type OutboundOptions } from "@/lib/net/outbound-agent";
import { isNyckelError } from "./errors";
import { closePassthroughConnections, passthrough, SMALL_ANSWER_MAX_BYTES, type PassthroughRequest } from "./passthrough";

/** A plain HTTP server whose handler each test sets; it records what arrived. */
let handler: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void = (_req, res) => res.end("ok");
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer; socket: unknown }[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, socket: req.socket });
    handler(req, res, body);
  });
});
let baseUrl = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  seen.length = 0;
  closePassthroughConnections();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function fakeClient(tokens: string[] = ["t1", "t2", "t3"]): NyckelClient & { dropped: string[] } {
  let current = 0;
  const dropped: string[] = [];
  return {
    baseUrl,
    dropped,
    accessToken: async () => tokens[current]!,
    dropAccessToken: (token: string) => {
      dropped.push(token);
      if (tokens[current] === token) current++;
    },
  } as unknown as NyckelClient & { dropped: string[] };
}

function request(overrides: Partial<PassthroughRequest> = {}): PassthroughRequest {
  return {
    method: "POST",
    path: "/v1/functions/abc/invoke",
    search: "modelId=m1&labelCount=2",
    headers: new Headers({ "content-type": "application/json" }),
    body: new TextEncoder().encode('{"data":"hello"}'),
    timeoutMs: 2_000,
    ...overrides,
  };
}

/** The answer as the fetch Response a caller would get (what lib/serving/proxy.ts builds). */
async function call(client: NyckelClient, req: PassthroughRequest) {
  const { answer, attempts } = await passthrough(client, req);
  const headers = new Headers();
  for (let i = 0; i + 1 < answer.headers.length; i += 2) headers.append(answer.headers[i]!, answer.headers[i + 1]!);
  return { response: new Response(answer.body as BodyInit | null, { status: answer.status, headers }), attempts, answer };
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

describe("passthrough", () => {
  it("sends method, path, query, headers, body and Nyckel's bearer token; returns status, headers and body", async () => {
    handler = (_req, res) => {
      const text = '{"labelName":"ok"}';
      res.writeHead(200, { "content-type": "application/json", "content-length": text.length, "x-request-id": "r-1" });
      res.end(text);
    };
    const { response, attempts, answer } = await call(fakeClient(), request());
    expect(attempts).toBe(1);
    expect(answer.body).toBeInstanceOf(Uint8Array); // small: read whole
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("r-1");
    expect(await response.json()).toEqual({ labelName: "ok" });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/v1/functions/abc/invoke?modelId=m1&labelCount=2" });
    expect(seen[0]!.headers.authorization).toBe("Bearer t1");
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
    expect(seen[0]!.headers["content-length"]).toBe("16");
    expect(seen[0]!.body.toString()).toBe('{"data":"hello"}');
  });

  it("reuses one kept-alive connection for consecutive calls", async () => {
    handler = (_req, res) => res.end("ok");
    const client = fakeClient();
    for (let i = 0; i < 3; i++) await (await call(client, request())).response.text();
    expect(seen).toHaveLength(3);
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
    expect(seen[2]!.socket).toBe(seen[0]!.socket);
  });

  it("after a 401 drops the access token and sends a replayable body once more with a fresh one", async () => {
    handler = (req, res) => {
      res.writeHead(req.headers.authorization === "Bearer t1" ? 401 : 200);
      res.end(req.headers.authorization);
    };
    const client = fakeClient();
    const { response, attempts } = await call(client, request());
    expect(attempts).toBe(2);
    expect(await response.text()).toBe("Bearer t2");
    expect(client.dropped).toEqual(["t1"]);
    expect(seen.map((s) => s.body.toString())).toEqual(['{"data":"hello"}', '{"data":"hello"}']);
  });

  it("returns a streamed body's 401 as it is (a stream cannot be sent twice)", async () => {
    handler = (_req, res) => {
      res.writeHead(401);
      res.end("no");
    };
    const client = fakeClient();
    const body = streamOf([new Uint8Array([1, 2]), new Uint8Array([3])]);
    const { response, attempts } = await call(client, request({ body }));
    expect([response.status, attempts, client.dropped]).toEqual([401, 1, []]);
    expect([...seen[0]!.body]).toEqual([1, 2, 3]);
    expect(seen[0]!.headers["transfer-encoding"]).toBe("chunked");
  });

  it("pipes a Node stream body (the proxy's Node fast path hands over the request itself), once: its 401 is returned as it is", async () => {
    handler = (req, res) => {
      res.writeHead(req.headers.authorization === "Bearer t1" ? 401 : 200);
      res.end("answer");
    };
    const client = fakeClient();
    const body = Readable.from([Buffer.from("ab"), Buffer.from("c")]);
    const { response, attempts } = await call(client, request({ body }));
    expect([response.status, attempts, client.dropped]).toEqual([401, 1, []]);
    expect(seen[0]!.body.toString()).toBe("abc");
    expect(seen[0]!.headers["transfer-encoding"]).toBe("chunked");
  });

  it("streams an answer larger than the small-answer limit, and one without a length", async () => {
    const big = Buffer.alloc(SMALL_ANSWER_MAX_BYTES + 10, 7);
    handler = (req, res) => {
      if (req.url!.includes("chunked")) {
        res.write(big.subarray(0, 100));
        setTimeout(() => res.end(big.subarray(100)), 20);
      } else res.end(big);
    };
    for (const search of ["sized", "chunked"]) {
      const { response, answer } = await call(fakeClient(), request({ search }));
      expect(answer.body).toBeInstanceOf(ReadableStream);
      expect(Buffer.from(await response.arrayBuffer()).equals(big)).toBe(true);
    }
  });

  it("a caller abort while the answer streams ends the upstream connection", async () => {
    let closed = false;
    handler = (_req, res) => {
      res.on("close", () => (closed = true));
      res.write("partial");
    };
    const controller = new AbortController();
    const { response } = await call(fakeClient(), request({ signal: controller.signal }));
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("partial");
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await expect.poll(() => closed).toBe(true);
  });

  it("throws a timeout NyckelError when no answer arrives in time, and a network one when nothing listens", async () => {
    handler = () => undefined; // never answers
    const timedOut = await call(fakeClient(), request({ timeoutMs: 100 })).catch((e: unknown) => e);
    expect(isNyckelError(timedOut) && timedOut.code).toBe("timeout");

    const closedPort = http.createServer();
    await new Promise<void>((resolve) => closedPort.listen(0, "127.0.0.1", resolve));
    const port = (closedPort.address() as AddressInfo).port;
    await new Promise((resolve) => closedPort.close(resolve));
    const client = { ...fakeClient(), baseUrl: `http://127.0.0.1:${port}` } as unknown as NyckelClient;
    const refused = await call(client, request()).catch((e: unknown) => e);
    expect(isNyckelError(refused) && refused.code).toBe("network");
  });

  it("a kept-alive connection the server closed while idle does not fail the next call", async () => {
    handler = (_req, res) => res.end("ok");
    const client = fakeClient();
    await (await call(client, request())).response.text();
    // The server drops the idle connection without the client noticing in time.
    (seen[0]!.socket as import("node:net").Socket).destroy();
    const { response } = await call(client, request());
    expect(await response.text()).toBe("ok");
    expect(seen).toHaveLength(2);
  });

  it("with checked agents (a base URL typed in Settings) refuses private addresses, by IP literal and by name, before sending", async () => {
    handler = (_req, res) => res.end("ok");
    const port = new URL(baseUrl).port;
    const toLoopback: OutboundOptions["resolve"] = (_name, _options, callback) => callback(null, [{ address: "127.0.0.1", family: 4 }]);
    for (const [target, rules] of [
      [baseUrl, { allowLoopback: false }],
      [`http://nyckel.example:${port}`, { allowLoopback: false, resolve: toLoopback }],
    ] as const) {
      const client = { ...fakeClient(), baseUrl: target, passthroughAgents: createOutboundAgents(rules) } as unknown as NyckelClient;
      const refused = await call(client, request()).catch((e: unknown) => e);
      expect(isNyckelError(refused) && refused.code).toBe("network");
      expect(isOutboundAddressError((refused as { cause?: unknown }).cause)).toBe(true);
    }
    expect(seen).toHaveLength(0);
    // Loopback allowed (development): the same checked agents connect.
    const allowed = { ...fakeClient(), baseUrl: `http://nyckel.example:${port}`, passthroughAgents: createOutboundAgents({ allowLoopback: true, resolve: toLoopback }) } as unknown as NyckelClient;
    const { response } = await call(allowed, request());
    expect(await response.text()).toBe("ok");
  });
});
