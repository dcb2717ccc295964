import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

// A webhook receiver for the tests: a real HTTP server that verifies every delivery's
// signature with the standardwebhooks package (against the secret of the webhook it names)
// and answers as a test says: 2xx, another status, a redirect, 410, a huge body, or never
// (it hangs until the service gives up). Every request is recorded with what it was told.

export type Answer =
  | { status: number; body?: string; redirectTo?: string }
  | { hang: true }
  /** a body of this many bytes, as fast as the client reads it */
  | { status: number; bodyBytes: number }
  /** the status at once, then a body of one byte every 100 ms that never ends */
  | { status: number; trickle: true };

export interface Delivery {
  /** the webhook-id header: the batch */
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  webhookId: string;
  eventId: string;
  entries: { id: string; type: string; [member: string]: unknown }[];
  /** Date.now() when it arrived */
  receivedAt: number;
  /** the signature checked out with the webhook's secret (standardwebhooks' verify) */
  verified: boolean;
  verifyError?: string;
  /** what the receiver answered: a status, or 'hang' */
  answer: number | 'hang';
  /** ms after arrival the connection closed, and whether the answer's body was cut short */
  closedAfterMs?: number;
  answerCut?: boolean;
  headers: IncomingMessage['headers'];
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  port: number;
  deliveries: Delivery[];
  /** the secret a webhook's deliveries are verified with */
  trust(webhookId: string, secret: string): void;
  /** how to answer from now on (default 204); a function decides per delivery */
  answer(answer: Answer | ((delivery: Delivery) => Answer)): void;
  /** answer the next deliveries so, in turn, then as before */
  answerNext(...answers: Answer[]): void;
  /** deliveries that were acknowledged (answered 2xx), in the order they arrived */
  acknowledged(webhookId?: string): Delivery[];
  /** entries of acknowledged deliveries, in order, for one webhook and event */
  acknowledgedEntries(webhookId: string, eventId: string): Delivery['entries'];
  /** lets every hanging request go (answers 503 to them) */
  releaseHung(): void;
  /** the most requests of one (webhook, event) that were open at the same moment */
  maxConcurrent(webhookId: string, eventId: string): number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secrets = new Map<string, Webhook>();
  const deliveries: Delivery[] = [];
  let standing: Answer | ((delivery: Delivery) => Answer) = { status: 204 };
  const queued: Answer[] = [];
  const hung = new Set<ServerResponse>();
  const open = new Map<string, number>();
  const maxOpen = new Map<string, number>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: { webhook_id?: string; event_id?: string; entries?: Delivery['entries'] } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // recorded as it came; verified stays false
      }
      const delivery: Delivery = {
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body,
        webhookId: parsed.webhook_id ?? '',
        eventId: parsed.event_id ?? '',
        entries: parsed.entries ?? [],
        receivedAt: Date.now(),
        verified: false,
        answer: 0,
        headers: req.headers,
      };
      const signer = secrets.get(delivery.webhookId);
      try {
        if (!signer) throw new Error(`no secret for webhook ${delivery.webhookId}`);
        signer.verify(body, req.headers as Record<string, string>);
        delivery.verified = true;
      } catch (error) {
        delivery.verifyError = error instanceof Error ? error.message : String(error);
      }
      const answer = queued.shift() ?? (typeof standing === 'function' ? standing(delivery) : standing);
      deliveries.push(delivery);
      const pair = `${delivery.webhookId} ${delivery.eventId}`;
      open.set(pair, (open.get(pair) ?? 0) + 1);
      maxOpen.set(pair, Math.max(maxOpen.get(pair) ?? 0, open.get(pair)!));
      let finished = false;
      res.on('finish', () => (finished = true));
      res.on('close', () => {
        open.set(pair, open.get(pair)! - 1);
        delivery.closedAfterMs = Date.now() - delivery.receivedAt;
        delivery.answerCut = !finished;
      });
      if ('hang' in answer) {
        delivery.answer = 'hang';
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      delivery.answer = answer.status;
      if ('trickle' in answer) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('.'), 100);
        res.on('close', () => clearInterval(timer));
        res.on('error', () => undefined);
        return;
      }
      if ('bodyBytes' in answer) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = answer.bodyBytes;
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
      res.writeHead(answer.status, answer.redirectTo ? { location: answer.redirectTo } : {});
      res.end(answer.body ?? '');
    });
  });
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const acknowledged = (webhookId?: string) =>
    deliveries.filter(
      (delivery) => typeof delivery.answer === 'number' && delivery.answer >= 200 && delivery.answer < 300 && (!webhookId || delivery.webhookId === webhookId),
    );
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    deliveries,
    trust: (webhookId, secret) => void secrets.set(webhookId, new Webhook(secret)),
    answer: (answer) => void (standing = answer),
    answerNext: (...answers) => void queued.push(...answers),
    acknowledged,
    maxConcurrent: (webhookId, eventId) => maxOpen.get(`${webhookId} ${eventId}`) ?? 0,
    acknowledgedEntries: (webhookId, eventId) =>
      acknowledged(webhookId)
        .filter((delivery) => delivery.eventId === eventId)
        .flatMap((delivery) => delivery.entries),
    releaseHung() {
      for (const res of hung) {
        res.writeHead(503);
        res.end();
      }
      hung.clear();
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      hung.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
