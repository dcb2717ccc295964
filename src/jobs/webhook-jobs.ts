import type { AuditLog } from '../domain/audit-log.js';
import type { DeliveryKicker } from '../domain/webhooks/webhooks.js';
import type { AuditEntry } from '../domain/audit-entry.js';
import type { RetryPolicy, WebhookStore } from '../domain/webhooks/store.js';
import type { Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { startDeliveryWorker } from './webhook-delivery.js';
import { WebhookQueue } from './webhook-queue.js';
import { scanOnce, startWebhookScan, type WebhookScan } from './webhook-scan.js';
import { WebhookSender } from './webhook-sender.js';

// Everything that delivers webhooks on one instance: the job queue (and its hints), the
// worker that sends, and the scan. Every instance runs all three.

/** Pairs one instance sends to at once. */
const DELIVERY_CONCURRENCY = 32;

export interface WebhookJobsOptions {
  /** for the queue, the store and the scan: commands nobody waits for */
  client: RedisClient;
  /** BullMQ's worker connection (blocking commands, waits for Redis rather than failing) */
  workerConnection: RedisClient;
  keys: KeySpace;
  store: WebhookStore;
  auditLog: AuditLog;
  metrics: Metrics;
  eventIds(): AsyncIterable<string[]>;
  /** an entry as GET /events/{event_id}/log shows it: deliveries send entries so */
  renderEntry(entry: AuditEntry): unknown;
  settings: {
    allowPrivateTargets: boolean;
    timeoutMs: number;
    retryMaxDelayS: number;
    giveUpS: number;
    scanIntervalMs: number;
    /** false: no worker here (other instances send) */
    worker: boolean;
  };
  onError(error: unknown): void;
  onRunFailed(error: Error, pair: { webhookId: string; eventId: string }): void;
}

export interface WebhookJobs {
  queue: WebhookQueue;
  /** what the webhook routes tell deliveries (a resume, a backfill, a change) */
  kicker: DeliveryKicker;
  scan: WebhookScan | null;
  stop(): Promise<void>;
}

/** The first wait after a failure: the contract asks for the first retry within 2 s. */
const FIRST_RETRY_MS = 1_000;

export const retryPolicyOf = (settings: WebhookJobsOptions['settings']): RetryPolicy => ({
  firstDelayMs: Math.min(FIRST_RETRY_MS, settings.retryMaxDelayS * 1000),
  maxDelayMs: settings.retryMaxDelayS * 1000,
  giveUpMs: settings.giveUpS * 1000,
});

export async function startWebhookJobs(options: WebhookJobsOptions): Promise<WebhookJobs> {
  const { settings } = options;
  const queue = new WebhookQueue(options.client, options.keys.queuePrefix(), options.store, options.onError);
  await queue.start();
  const sender = new WebhookSender({ timeoutMs: settings.timeoutMs, allowPrivateTargets: settings.allowPrivateTargets });
  const delivery = settings.worker
    ? startDeliveryWorker({
        connection: options.workerConnection,
        prefix: options.keys.queuePrefix(),
        store: options.store,
        auditLog: options.auditLog,
        queue,
        sender,
        metrics: options.metrics,
        retry: retryPolicyOf(settings),
        concurrency: DELIVERY_CONCURRENCY,
        renderEntry: options.renderEntry,
        onError: options.onError,
        onRunFailed: options.onRunFailed,
      })
    : null;
  const scanOptions = { client: options.client, keys: options.keys, store: options.store, queue, eventIds: options.eventIds };
  const scan =
    settings.scanIntervalMs > 0
      ? startWebhookScan({ ...scanOptions, intervalMs: settings.scanIntervalMs, onError: options.onError })
      : null;
  // A resumed webhook of every event may have events it never sent from: a scan finds them at
  // once rather than at the next interval.
  const kicker: DeliveryKicker = {
    kick(webhookId, eventIds) {
      queue.kick(webhookId, eventIds);
      if (eventIds === undefined) void scanOnce(scanOptions).catch(options.onError);
    },
    changed: () => queue.changed(),
  };
  return {
    queue,
    kicker,
    scan,
    async stop() {
      await scan?.stop();
      await delivery?.close();
      await queue.close();
      sender.close();
    },
  };
}
