import { DelayedError, Worker, type Job } from 'bullmq';
import type { HoldExpirer } from '../domain/expiry.js';
import type { RedisClient } from '../redis/client.js';
import { expiryQueueNames } from './expiry-queue.js';

// Every instance runs a worker for every expiry queue. A job that fires before its hold is
// due (an instance whose clock runs ahead of Redis's scheduled it) goes back to wait.

export interface ExpiryWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

export function startExpiryWorkers(options: {
  connection: RedisClient;
  prefix: string;
  shards: number;
  expirer: HoldExpirer;
  concurrency: number;
  onError(error: Error): void;
}): ExpiryWorkers {
  const processor = async (job: Job, token?: string) => {
    const holdId = job.id;
    if (!holdId) return;
    const outcome = await options.expirer.expire(holdId);
    if (outcome.kind === 'not-due' && token) {
      await job.moveToDelayed(Date.now() + outcome.remainingMs, token);
      throw new DelayedError();
    }
  };
  const workers = expiryQueueNames(options.shards).map((name) => {
    const worker = new Worker(name, processor, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
    });
    worker.on('error', options.onError);
    return worker;
  });
  return {
    workers,
    close: async () => void (await Promise.all(workers.map((worker) => worker.close()))),
  };
}
