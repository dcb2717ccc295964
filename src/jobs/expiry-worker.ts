import { DelayedError, Worker, type Job } from 'bullmq';
import type { HoldExpirer } from '../domain/expiry.js';
import type { RedisClient } from '../redis/client.js';
import { EXPIRY_QUEUE_NAME } from './expiry-queue.js';

// Runs in every instance. A job that fires before its hold is due (an instance whose
// clock runs ahead of Redis's scheduled it) goes back to wait for the rest of the time.

export function startExpiryWorker(
  connection: RedisClient,
  prefix: string,
  expirer: HoldExpirer,
  concurrency: number,
): Worker {
  const processor = async (job: Job, token?: string) => {
    const holdId = job.id;
    if (!holdId) return;
    const outcome = await expirer.expire(holdId);
    if (outcome.kind === 'not-due' && token) {
      await job.moveToDelayed(Date.now() + outcome.remainingMs, token);
      throw new DelayedError();
    }
  };
  return new Worker(EXPIRY_QUEUE_NAME, processor, { connection, prefix, concurrency });
}
