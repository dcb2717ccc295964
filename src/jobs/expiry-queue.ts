import { Queue } from 'bullmq';
import type { ExpiryScheduler } from '../domain/box-office.js';
import type { RedisClient } from '../redis/client.js';

// One delayed BullMQ job per hold; its job id is the hold id, so a hold never gets two
// jobs and the job needs no payload. Finished jobs are deleted at once: the hold record,
// not the job, is the history.

/** BullMQ's keys are `<prefix>:<queue name>:…`; the braces make them one Cluster slot. */
export const EXPIRY_QUEUE_NAME = '{expiry}';
export const EXPIRE_JOB = 'expire';

export const expiryJobOptions = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 5,
  backoff: { type: 'exponential', delay: 200 },
} as const;

export class ExpiryQueue implements ExpiryScheduler {
  readonly queue: Queue;

  constructor(connection: RedisClient, prefix: string) {
    this.queue = new Queue(EXPIRY_QUEUE_NAME, { connection, prefix });
  }

  async schedule(holdId: string, delayMs: number): Promise<void> {
    await this.queue.add(EXPIRE_JOB, {}, { ...expiryJobOptions, jobId: holdId, delay: delayMs });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
