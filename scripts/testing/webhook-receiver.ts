/**
 * A local receiver for webhook deliveries, and the end of a test file that ran
 * the webhook worker (lib/webhooks and lib/audit's checkpoint tests).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { disconnectPrisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { resetConfigForTests } from "@/lib/env";
import { stopBoss } from "@/lib/jobs/boss";
import type { WebhookWorker } from "@/lib/webhooks/worker";

export type ReceivedRequest = { path: string; headers: http.IncomingHttpHeaders; body: string; at: number };

export type WebhookReceiver = { base: string; close(): Promise<void> };

const answerOk = (_request: ReceivedRequest, res: http.ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("ok");
};

/**
 * An HTTP server on 127.0.0.1 (webhooks may use plain http: MODELPIN_ALLOW_INSECURE_WEBHOOKS
 * is turned on) that appends every request, body read, to `received`, then lets
 * `answer` reply (default: 200 "ok").
 */
export async function startWebhookReceiver(
  received: ReceivedRequest[],
  answer: (request: ReceivedRequest, res: http.ServerResponse) => void = answerOk,
): Promise<WebhookReceiver> {
  process.env.MODELPIN_ALLOW_INSECURE_WEBHOOKS = "true";
  resetConfigForTests();
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      const request = { path: req.url ?? "/", headers: req.headers, body, at: Date.now() };
      received.push(request);
      answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Stops the webhook worker, pg-boss, the pg pool, Prisma and the receiver. */
export async function stopWebhookTests(worker: WebhookWorker | undefined, receiver: WebhookReceiver | undefined): Promise<void> {
  await worker?.stop();
  await stopBoss();
  await closePgPool();
  await disconnectPrisma();
  await receiver?.close();
}
