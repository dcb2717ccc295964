import type { HoldExpirer } from '../domain/expiry.js';
import type { RedisClient } from '../redis/client.js';
import type { DueIndex } from './due-index.js';
import { startLeasedInterval } from './leased-interval.js';

// Every instance runs a reconciler; a lease in Redis lets one of them sweep per interval,
// and lapses by itself if that instance dies (leased-interval.ts).
//
// A sweep expires the past-due holds of the events the due index says have holds falling
// due (see due-index.ts): its cost follows what is due, not the number of events ever
// created. Now and then (FULL_WALK_INTERVAL_MS, once for all instances: a second lease) it
// walks every event instead, the safety net for an index update lost to a crash; the first
// sweep after the index is new (an upgrade, a flushed Redis) is such a walk.

export interface Reconciler {
  stop(): Promise<void>;
  /** a full walk over every event now, index repaired on the way; resolves with the holds expired */
  runOnce(): Promise<number>;
}

/** due events taken from the index per round trip */
const DUE_BATCH = 200;
/** pages of due events per sweep: a bound, should a clock step back keep entries due */
const MAX_DUE_PAGES = 20;
/** events swept at once */
const SWEEP_CONCURRENCY = 8;
export const FULL_WALK_INTERVAL_MS = 5 * 60_000;

export interface ReconcilerOptions {
  client: RedisClient;
  leaseKey: string;
  /** lease that lets one instance per FULL_WALK_INTERVAL_MS walk every event */
  fullWalkLeaseKey: string;
  expirer: HoldExpirer;
  dueIndex: DueIndex;
  /** every event id (the event index), for the full walk */
  eventIds(): AsyncIterable<string[]>;
  /** also told of every page of the full walk (the events list repairs itself from it) */
  onWalkedPage?(eventIds: string[]): Promise<void>;
  intervalMs: number;
  fullWalkIntervalMs?: number;
  onError(error: unknown): void;
}

export function startReconciler(options: ReconcilerOptions): Reconciler {
  const fullWalkIntervalMs = options.fullWalkIntervalMs ?? FULL_WALK_INTERVAL_MS;
  const sweeps = startLeasedInterval({
    client: options.client,
    leaseKey: options.leaseKey,
    intervalMs: options.intervalMs,
    async run(owner) {
      const walk = await options.client.set(options.fullWalkLeaseKey, owner, 'PX', fullWalkIntervalMs, 'NX');
      return walk === 'OK' ? fullWalk(options) : sweepDue(options);
    },
    onError: options.onError,
  });
  return {
    async stop() {
      await sweeps.stop();
      await options.dueIndex.flush();
    },
    runOnce: () => fullWalk(options),
  };
}

/** Sweeps the events whose holds have fallen due, by the index; returns the holds expired. */
export async function sweepDue(options: Pick<ReconcilerOptions, 'client' | 'expirer' | 'dueIndex'>): Promise<number> {
  const [seconds, micros] = await options.client.time();
  const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  let expired = 0;
  for (let page = 0; page < MAX_DUE_PAGES; page++) {
    const due = await options.dueIndex.due(nowMs, DUE_BATCH);
    for (let i = 0; i < due.length; i += SWEEP_CONCURRENCY) {
      const counts = await Promise.all(due.slice(i, i + SWEEP_CONCURRENCY).map((entry) => sweepIndexed(options, entry)));
      expired += counts.reduce((sum, count) => sum + count, 0);
    }
    // Swept entries leave the due range (re-scored later, or removed), so the next page is new.
    if (due.length < DUE_BATCH) break;
  }
  return expired;
}

async function sweepIndexed(
  options: Pick<ReconcilerOptions, 'expirer' | 'dueIndex'>,
  entry: { eventId: string; score: number },
): Promise<number> {
  await options.dueIndex.park(entry.eventId);
  try {
    const { expired, nextDueMs } = await options.expirer.sweepEvent(entry.eventId);
    await options.dueIndex.settle(entry.eventId, nextDueMs);
    return expired;
  } catch (error) {
    await options.dueIndex.restore(entry.eventId, entry.score).catch(() => undefined);
    throw error;
  }
}

/** Sweeps every event and gives each one with active holds its index entry. */
export async function fullWalk(
  options: Pick<ReconcilerOptions, 'expirer' | 'dueIndex' | 'eventIds' | 'onWalkedPage'>,
): Promise<number> {
  let expired = 0;
  for await (const page of options.eventIds()) {
    await options.onWalkedPage?.(page);
    for (let i = 0; i < page.length; i += SWEEP_CONCURRENCY) {
      const counts = await Promise.all(
        page.slice(i, i + SWEEP_CONCURRENCY).map(async (eventId) => {
          const { expired, nextDueMs } = await options.expirer.sweepEvent(eventId);
          // Only ever earlier, or a parked entry removed: a sweep settling it meanwhile is not disturbed.
          await options.dueIndex.settle(eventId, nextDueMs);
          return expired;
        }),
      );
      expired += counts.reduce((sum, count) => sum + count, 0);
    }
  }
  return expired;
}
