import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { ExpiryScheduler } from '../domain/script-effects.js';
import type { RedisClient } from '../redis/client.js';
import { HASH_SLOTS, slotOfTag } from '../redis/key-slot.js';
import type { DueIndex } from './due-index.js';

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

/**
 * Queue `shard` of `shards`, named `{expiry-<shard>-<salt>}` with the smallest salt whose slot is
 * the middle of the shard's share of the 16,384 slots: the queues sit evenly spaced over the slot
 * space, so a Cluster's masters (which own slot ranges) get as even a share as their ranges
 * allow. Plain `{expiry-<shard>}` names land wherever they hash: 8 of them gave 2 / 4 / 2 over
 * three masters, these give 3 / 2 / 3. The names depend on `shards` only, so every instance
 * agrees on them.
 */
export function expiryQueueName(shard: number, shards: number): string {
  if (shards === 1) return EXPIRY_QUEUE_NAME;
  const middleSlot = Math.floor(((shard + 0.5) * HASH_SLOTS) / shards);
  for (let salt = 0; ; salt++) {
    const tag = `expiry-${shard}-${salt}`;
    if (slotOfTag(tag) === middleSlot) return `{${tag}}`;
  }
}

const namesByShards = new Map<number, string[]>();

/** Every expiry queue's name (worked out once per number of queues: a search of ~16k hashes each). */
export function expiryQueueNames(shards: number): string[] {
  let names = namesByShards.get(shards);
  if (!names) {
    names = Array.from({ length: shards }, (_, shard) => expiryQueueName(shard, shards));
    namesByShards.set(shards, names);
  }
  return names;
}

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

  constructor(
    connection: RedisClient,
    prefix: string,
    shards: number,
    /** told of every hold's expiry too, for the reconciler */
    private readonly dueIndex?: DueIndex,
  ) {
    const streams = { events: { maxLen: EVENTS_STREAM_MAX_LEN } };
    this.queues = expiryQueueNames(shards).map((name) => new Queue(name, { connection, prefix, streams }));
  }

  /** told when a job could not be added (the hold stands; the reconciler will expire it) */
  onAddFailed: (holdId: string, error: unknown) => void = () => undefined;
  private readonly adding = new Set<Promise<unknown>>();

  /**
   * Adds the hold's job without making the request wait for it: the command is issued now,
   * before the answer goes out, and its outcome arrives later. A hold is durable when its
   * 201 leaves; a job that never makes it (Redis trouble, a crash) is what the reconciler,
   * told through the due index, is for.
   */
  async schedule(holdId: string, delayMs: number): Promise<void> {
    const at = holdId.indexOf('.');
    if (at > 0) this.dueIndex?.note(holdId.slice(0, at), Date.now() + delayMs);
    const queue = this.queues[shardOfHold(holdId, this.queues.length)]!;
    const added = queue
      .add(EXPIRE_JOB, {}, { ...expiryJobOptions, jobId: holdId, delay: delayMs })
      .catch((error: unknown) => this.onAddFailed(holdId, error))
      .finally(() => this.adding.delete(added));
    this.adding.add(added);
  }

  markDue(eventId: string): void {
    this.dueIndex?.note(eventId, Date.now());
  }

  /** resolves once every job issued so far has been added (or failed) */
  async settled(): Promise<void> {
    await Promise.all([...this.adding]);
  }

  /**
   * Waits for every queue's connection setup, so the first holds' jobs are not queued behind
   * it (on a busy machine that setup can take longer than a request's command timeout).
   */
  async ready(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.waitUntilReady()));
  }

  async close(): Promise<void> {
    await this.settled();
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
