import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { ExpiryScheduler } from '../domain/box-office.js';
import type { RedisClient } from '../redis/client.js';

// One delayed BullMQ job per hold; its job id is the hold id, so a hold never gets two
// jobs and the job needs no payload. Finished jobs are deleted at once: the hold record,
// not the job, is the history.
//
// BullMQ keeps a queue's keys in one slot, so on a Redis Cluster one queue would put all
// expiry traffic on one shard. Expiry is therefore spread over several queues, each with
// its own hash tag; an event's holds always go to the same queue.

/** BullMQ's keys are `<prefix>:<queue name>:…`; the braces make them one Cluster slot. */
export const EXPIRY_QUEUE_NAME = '{expiry}';
export const EXPIRE_JOB = 'expire';

export const expiryQueueName = (shard: number, shards: number) =>
  shards === 1 ? EXPIRY_QUEUE_NAME : `{expiry-${shard}}`;

export const expiryQueueNames = (shards: number) => Array.from({ length: shards }, (_, shard) => expiryQueueName(shard, shards));

/** The shard of an event's holds: stable for the event, spread evenly over events. */
export function shardOfHold(holdId: string, shards: number): number {
  if (shards === 1) return 0;
  const eventId = holdId.split('.', 1)[0]!;
  return createHash('md5').update(eventId).digest().readUInt32BE(0) % shards;
}

// Every option is stored in every job's hash, so only what changes behaviour is set. One
// attempt: a job whose expiry fails (Redis trouble) is dropped, and the reconciler, which
// sweeps every past-due hold every few seconds, expires the hold instead.
export const expiryJobOptions = { removeOnComplete: true, removeOnFail: true } as const;

/** The events stream feeds QueueEvents listeners, which nothing here uses: keep it short. */
const EVENTS_STREAM_MAX_LEN = 100;

export class ExpiryQueues implements ExpiryScheduler {
  readonly queues: Queue[];

  constructor(connection: RedisClient, prefix: string, shards: number) {
    this.queues = expiryQueueNames(shards).map((name) => new Queue(name, { connection, prefix, streams: { events: { maxLen: EVENTS_STREAM_MAX_LEN } } }));
  }

  async schedule(holdId: string, delayMs: number): Promise<void> {
    const queue = this.queues[shardOfHold(holdId, this.queues.length)]!;
    await queue.add(EXPIRE_JOB, {}, { ...expiryJobOptions, jobId: holdId, delay: delayMs });
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
