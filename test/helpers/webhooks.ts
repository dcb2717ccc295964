import { expect } from 'chai';
import type { Api, ApiResponse } from './api.js';
import type { Delivery, WebhookReceiver } from './webhook-receiver.js';

// Webhook calls for the tests (admin bearer when one is set) and the check every delivery
// scenario ends with: what the receiver acknowledged is the log, in order, signed.

export interface LogEntry {
  id: string;
  type: string;
  [member: string]: unknown;
}

export class WebhookApi {
  constructor(
    readonly api: Api,
    readonly adminToken?: string,
  ) {}

  private headers(extra: Record<string, string> = {}) {
    return { ...(this.adminToken ? { authorization: `Bearer ${this.adminToken}` } : {}), ...extra };
  }

  create(body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.api.post('/webhooks', body, { headers: this.headers(headers) });
  }

  /** Creates a webhook, expects 201, and has the receiver trust its secret. */
  async subscribe(receiver: WebhookReceiver | null, body: Record<string, unknown>): Promise<{ webhookId: string; secret: string }> {
    const response = await this.create(body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    receiver?.trust(response.body.webhook_id, response.body.secret);
    return { webhookId: response.body.webhook_id, secret: response.body.secret };
  }

  get(webhookId: string): Promise<ApiResponse> {
    return this.api.get(`/webhooks/${webhookId}`, { headers: this.headers() });
  }

  list(): Promise<ApiResponse> {
    return this.api.get('/webhooks', { headers: this.headers() });
  }

  patch(webhookId: string, body: unknown): Promise<ApiResponse> {
    return this.api.request('PATCH', `/webhooks/${webhookId}`, body, { headers: this.headers() });
  }

  delete(webhookId: string): Promise<ApiResponse> {
    return this.api.delete(`/webhooks/${webhookId}`, undefined, { headers: this.headers() });
  }

  /** The whole log of an event, every page. */
  async log(eventId: string): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    let after: string | null = null;
    for (;;) {
      const query: string = `?limit=1000${after ? `&after=${after}` : ''}`;
      const page = await this.api.get(`/events/${eventId}/log${query}`, { headers: this.headers() });
      expect(page.status, JSON.stringify(page.body)).to.equal(200);
      entries.push(...(page.body.entries as LogEntry[]));
      after = page.body.next;
      if (!page.body.more) return entries;
    }
  }
}

/**
 * What a receiver got for one (webhook, event) is the log: every signature verified; the
 * acknowledged batches, taken once per batch id in arrival order, hold exactly `expected`
 * (the log's entries, of the subscribed types), in order, each as the log shows it; batches
 * of 1-100 entries of that event; and a batch id seen twice is a retry: the same body.
 * Duplicates are allowed only as such retries (same id, after an attempt that failed or
 * whose answer was lost).
 */
export function assertDeliveredInOrder(receiver: WebhookReceiver, webhookId: string, eventId: string, expected: LogEntry[]): void {
  const mine = receiver.deliveries.filter((delivery) => delivery.webhookId === webhookId && delivery.eventId === eventId);
  for (const delivery of mine) {
    expect(delivery.verified, `signature of ${delivery.id}: ${delivery.verifyError}`).to.equal(true);
    expect(delivery.entries.length, `batch ${delivery.id} size`).to.be.within(1, 100);
  }
  assertRetriesAreCopies(mine);
  const firstAcks = new Map<string, Delivery>();
  for (const delivery of receiver.acknowledged(webhookId)) {
    if (delivery.eventId === eventId && !firstAcks.has(delivery.id)) firstAcks.set(delivery.id, delivery);
  }
  const delivered = [...firstAcks.values()].flatMap((delivery) => delivery.entries);
  expect(delivered.map((entry) => entry.id), 'acknowledged entries, once per batch, in order').to.deep.equal(expected.map((entry) => entry.id));
  expect(delivered, 'each entry as the log shows it').to.deep.equal(expected);
}

/** Every delivery of one batch id carries the same body. */
export function assertRetriesAreCopies(deliveries: Delivery[]): void {
  const bodies = new Map<string, string>();
  for (const delivery of deliveries) {
    const first = bodies.get(delivery.id);
    if (first === undefined) bodies.set(delivery.id, delivery.body);
    else expect(delivery.body, `retry of ${delivery.id} carries the same body`).to.equal(first);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
