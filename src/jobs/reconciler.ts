import { randomUUID } from 'node:crypto';
import type { HoldExpirer } from '../domain/expiry.js';
import type { RedisClient } from '../redis/client.js';

// Every instance runs a reconciler; a lease in Redis lets one of them sweep per interval,
// and lapses by itself if that instance dies.

export interface Reconciler {
  stop(): Promise<void>;
  /** resolves after the next completed sweep attempt (for tests and shutdown) */
  runOnce(): Promise<number>;
}

export function startReconciler(options: {
  client: RedisClient;
  leaseKey: string;
  expirer: HoldExpirer;
  intervalMs: number;
  onError(error: unknown): void;
}): Reconciler {
  const owner = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;

  const sweep = async (): Promise<number> => {
    const lease = await options.client.set(options.leaseKey, owner, 'PX', Math.max(options.intervalMs, 100), 'NX');
    if (lease !== 'OK') return 0;
    return options.expirer.sweepAll();
  };

  const tick = () => {
    running = sweep().catch((error) => {
      options.onError(error);
      return 0;
    });
    void running.finally(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    });
  };
  timer = setTimeout(tick, options.intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    runOnce: () => options.expirer.sweepAll(),
  };
}
