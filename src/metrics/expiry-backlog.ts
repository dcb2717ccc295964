import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/client.js';

// How far the expiry workers are behind, read from the BullMQ queues themselves: jobs
// promoted to "wait" that no worker has started, plus delayed jobs whose time passed more
// than a grace period ago (a running worker moves those on time, so they pile up only
// when no worker runs). O(queues) Redis commands per scrape, whatever the number of holds.

/** BullMQ scores a delayed job `due_ms * 0x1000 + counter` (its getDelayedScore include). */
const DELAYED_SCORE_PER_MS = 0x1000;
/** A worker promotes a due job within milliseconds; a second late is already unusual. */
export const OVERDUE_GRACE_MS = 1_000;

/** `client` is the connection the queues use; the queues only name their keys. */
export async function overdueExpiryJobs(
  client: RedisClient,
  queues: readonly Queue[],
  nowMs = Date.now(),
): Promise<number> {
  const dueBefore = nowMs - OVERDUE_GRACE_MS;
  const counts = await Promise.all(
    queues.map(async (queue) => {
      const [waiting, delayedOverdue] = await Promise.all([
        client.llen(queue.keys.wait!),
        client.zcount(queue.keys.delayed!, 0, dueBefore * DELAYED_SCORE_PER_MS - 1),
      ]);
      return waiting + delayedOverdue;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
