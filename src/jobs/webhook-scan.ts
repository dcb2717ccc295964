import { compareIds, type AuditLog } from '../domain/audit-log.js';
import type { WebhookRecord } from '../domain/webhooks/model.js';
import type { WebhookStore } from '../domain/webhooks/store.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { startLeasedInterval } from './leased-interval.js';
import type { DeliveryJobData, WebhookQueue } from './webhook-queue.js';

// The safety net of deliveries: hints only come from this instance's own writes, so a write
// by another instance, or one whose reply was lost, tells nobody. Every interval one
// instance (a lease, as the reconciler's) compares each enabled webhook's cursors with the
// last id of each event's log it follows, and adds the job of every pair that is behind or
// has a batch in flight (a pair whose job exists keeps it as it is).

/** Log tails read at once. */
const TAIL_CHUNK = 500;

export interface WebhookScan {
  stop(): Promise<void>;
  /** one scan now, lease or not; resolves with the pairs found behind */
  runOnce(): Promise<number>;
}

export interface ScanOptions {
  client: RedisClient;
  keys: KeySpace;
  store: WebhookStore;
  queue: WebhookQueue;
  /** every event id, a page at a time */
  eventIds(): AsyncIterable<string[]>;
  intervalMs: number;
  onError(error: unknown): void;
}

/** True when the pair has a batch in flight or log entries after its cursor. */
export async function isBehind(store: WebhookStore, auditLog: AuditLog, webhookId: string, eventId: string): Promise<boolean> {
  const [record, { cursor, batch }, lastId] = await Promise.all([
    store.get(webhookId),
    store.position(webhookId, eventId),
    auditLog.lastId(eventId),
  ]);
  if (!record || record.status !== 'enabled' || lastId === null) return false;
  return batch !== null || compareIds(lastId, cursor ?? record.start) > 0;
}

export function startWebhookScan(options: ScanOptions): WebhookScan {
  const scans = startLeasedInterval({
    client: options.client,
    leaseKey: options.keys.webhookScanLease(),
    intervalMs: options.intervalMs,
    run: () => scanOnce(options),
    onError: options.onError,
  });
  return { stop: () => scans.stop(), runOnce: () => scanOnce(options) };
}

/** One scan: adds the job of every pair behind; resolves with how many were. */
export async function scanOnce(options: Omit<ScanOptions, 'intervalMs' | 'onError'>): Promise<number> {
  const webhooks = (await options.store.list()).filter((webhook) => webhook.status === 'enabled');
  if (webhooks.length === 0) return 0;
  const tails = new Map<string, string>();
  const readTails = async (eventIds: string[]) => {
    const wanted = eventIds.filter((eventId) => !tails.has(eventId));
    for (let i = 0; i < wanted.length; i += TAIL_CHUNK) {
      const chunk = wanted.slice(i, i + TAIL_CHUNK);
      const newest = await Promise.all(chunk.map((eventId) => options.client.xrevrange(options.keys.eventKeys(eventId).log, '+', '-', 'COUNT', 1)));
      chunk.forEach((eventId, at) => tails.set(eventId, newest[at]![0]?.[0] ?? '0-0'));
    }
  };
  let allEvents: string[] | null = null;
  const behind: DeliveryJobData[] = [];
  for (const webhook of webhooks) {
    if (webhook.eventId === null && allEvents === null) {
      allEvents = [];
      for await (const page of options.eventIds()) allEvents.push(...page);
    }
    const eventIds = webhook.eventId === null ? allEvents! : [webhook.eventId];
    await readTails(eventIds);
    behind.push(...(await pairsBehind(options.store, webhook, eventIds, tails)));
  }
  await options.queue.add(behind);
  return behind.length;
}

async function pairsBehind(store: WebhookStore, webhook: WebhookRecord, eventIds: string[], tails: Map<string, string>): Promise<DeliveryJobData[]> {
  const { cursors, batchEvents } = await store.positions(webhook.webhookId);
  const inFlight = new Set(batchEvents);
  return eventIds
    .filter((eventId) => inFlight.has(eventId) || compareIds(tails.get(eventId) ?? '0-0', cursors[eventId] ?? webhook.start) > 0)
    .map((eventId) => ({ webhookId: webhook.webhookId, eventId }));
}
