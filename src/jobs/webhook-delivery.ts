import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { AuditLog } from '../domain/audit-log.js';
import type { AuditEntry } from '../domain/audit-entry.js';
import { nextStep } from '../domain/webhooks/batch.js';
import type { RetryPolicy, WebhookStore } from '../domain/webhooks/store.js';
import type { Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { WebhookSender } from './webhook-sender.js';
import { isBehind } from './webhook-scan.js';
import { WEBHOOK_QUEUE_NAME, type DeliveryJobData, type WebhookQueue } from './webhook-queue.js';

// The worker of the delivery jobs: one run of a (webhook, event) job sends its batches one
// after the other, each only after the one before was acknowledged, until it is caught up,
// must wait for a retry (the job becomes delayed), or its webhook is disabled or deleted.
// Every step is a script on the webhook's keys, so a run that dies (kill -9) leaves the
// batch in flight as it was: BullMQ hands the stalled job to another instance, which sends
// that batch again, same id and body, once the dead run's lease lapsed.

/** Log entries read per step (the batch takes up to 100 of the subscribed types). */
const READ_COUNT = 500;
/** Batches one run sends before it lets other pairs have the worker (it is queued again). */
const BATCHES_PER_RUN = 20;
/** The lease of a pair while an attempt is under way, renewed every third of it. */
export const LEASE_MS = 10_000;
/** BullMQ's lock of a running job, and how often workers look for stalled ones. */
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

export interface DeliveryOptions {
  connection: RedisClient;
  prefix: string;
  store: WebhookStore;
  auditLog: AuditLog;
  queue: WebhookQueue;
  sender: WebhookSender;
  metrics: Metrics;
  retry: RetryPolicy;
  concurrency: number;
  /** an entry as the log shows it */
  renderEntry(entry: AuditEntry): unknown;
  onError(error: unknown): void;
  /** a run ended on an error (Redis trouble): it is tried again, its state as Redis has it */
  onRunFailed(error: Error, pair: DeliveryJobData): void;
}

type RunStep = { kind: 'sent' | 'again' | 'idle' | 'stop' } | { kind: 'wait'; ms: number };

/** The instance, as leases name it (the pid lets a test find the delivering process). */
export const instanceOwner = () => `${hostname()}:${process.pid}:${randomUUID()}`;

export function startDeliveryWorker(options: DeliveryOptions): { worker: Worker<DeliveryJobData>; close(): Promise<void> } {
  const owner = instanceOwner();
  const { store, auditLog, sender, metrics } = options;

  /** One step of a pair: stage the next batch if none is in flight, then one attempt of it. */
  const step = async ({ webhookId, eventId }: DeliveryJobData): Promise<RunStep> => {
    const record = await store.get(webhookId);
    if (!record || record.status !== 'enabled' || (record.eventId !== null && record.eventId !== eventId)) return { kind: 'stop' };
    const { cursor, batch } = await store.position(webhookId, eventId);
    let inFlight = batch;
    if (!inFlight) {
      const entries = await auditLog.entriesAfter(eventId, cursor ?? record.start, READ_COUNT);
      const next = nextStep({ webhookId, eventId, entries, types: record.types, newBatchId: () => `msg_${randomUUID()}`, render: options.renderEntry });
      if (next === null) return { kind: 'idle' };
      const staged = await store.stage(webhookId, eventId, cursor, next);
      if (staged === 'gone' || staged === 'disabled') return { kind: 'stop' };
      if (staged === 'again' || next.kind === 'skip') return { kind: 'again' };
      inFlight = { id: next.id, upto: next.upto, body: next.body, attempts: 0 };
    }
    const claim = await store.claim(webhookId, eventId, inFlight.id, owner, LEASE_MS);
    if (claim.kind === 'stale') return { kind: 'again' };
    if (claim.kind === 'gone' || claim.kind === 'disabled') return { kind: 'stop' };
    if (claim.kind === 'wait') return claim;

    const renewal = setInterval(() => void store.renew(webhookId, eventId, owner, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
    const result = await sender.send({ url: claim.url, secret: claim.secret, messageId: inFlight.id, body: inFlight.body }).finally(() => clearInterval(renewal));
    metrics.webhookDeliveries.inc({ outcome: result.outcome });
    metrics.webhookDeliveryDuration.observe({ outcome: result.outcome }, result.durationMs / 1000);
    if (result.outcome === 'delivered') {
      await store.ack(webhookId, eventId, inFlight.id, owner);
      return { kind: 'sent' };
    }
    const failure = {
      ...(result.status !== undefined ? { status: result.status } : {}),
      error: result.error ?? result.outcome,
      gone: result.outcome === 'gone',
    };
    const outcome = await store.fail(webhookId, eventId, inFlight.id, owner, failure, options.retry);
    if (outcome.kind === 'retry') return { kind: 'wait', ms: outcome.delayMs };
    return outcome.kind === 'disabled' ? { kind: 'stop' } : { kind: 'again' };
  };

  const processor = async (job: Job<DeliveryJobData>, token?: string) => {
    let sent = 0;
    for (;;) {
      const next = await step(job.data);
      if (next.kind === 'idle' || next.kind === 'stop') return;
      if (next.kind === 'wait') {
        if (!token) return;
        await job.moveToDelayed(Date.now() + next.ms, token);
        throw new DelayedError();
      }
      if (next.kind === 'sent' && ++sent >= BATCHES_PER_RUN) return;
    }
  };

  const worker = new Worker<DeliveryJobData>(WEBHOOK_QUEUE_NAME, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    // A job whose instance died is handed on however often that happens.
    maxStalledCount: 1_000_000,
  });
  worker.on('error', options.onError);
  // A hint that arrived while the job was running found it there and added nothing: once it
  // is gone, look again (the scan would find it too, later).
  const lookAgain = (job: Job<DeliveryJobData> | undefined) => {
    if (!job) return;
    void isBehind(store, auditLog, job.data.webhookId, job.data.eventId)
      .then((behind) => (behind ? options.queue.add([job.data]) : undefined))
      .catch(options.onError);
  };
  worker.on('completed', lookAgain);
  worker.on('failed', (job, error) => {
    if (job) options.onRunFailed(error, job.data);
    lookAgain(job);
  });
  return { worker, close: () => worker.close() };
}
