import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/client.js';

// Work that one instance at a time does every interval (the reconciler's sweep, the webhook
// scan): every instance ticks, and a lease in Redis lets one of them run per interval; it
// lapses by itself if that instance dies. The next tick is set when a run ends, so runs of
// one instance never overlap.

export interface LeasedInterval {
  /** this instance's name in the lease */
  owner: string;
  /** no more ticks; resolves once a run under way has ended */
  stop(): Promise<void>;
}

export function startLeasedInterval(options: {
  client: RedisClient;
  leaseKey: string;
  intervalMs: number;
  /** runs only while this instance holds the lease for this interval */
  run(owner: string): Promise<unknown>;
  onError(error: unknown): void;
}): LeasedInterval {
  const owner = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const runIfLeased = async () => {
    const lease = await options.client.set(options.leaseKey, owner, 'PX', Math.max(options.intervalMs, 100), 'NX');
    if (lease === 'OK') await options.run(owner);
  };
  const tick = () => {
    running = runIfLeased().catch(options.onError);
    void running.finally(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    });
  };
  timer = setTimeout(tick, options.intervalMs);
  return {
    owner,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
