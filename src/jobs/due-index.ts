import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';

// The index of events that have holds falling due: a sorted set, event id -> the earliest
// expires_at (ms, Redis's clock) of its active holds, or earlier. The reconciler sweeps only
// the events whose score has come, so a sweep costs what is due, not one round trip per
// event ever created.
//
// On a Redis Cluster the index is one key in its own slot, apart from every event's keys, so
// no script can update it along with a hold. Node does, after each hold: `ZADD LT` (a score
// only ever moves earlier), batched per event-loop turn into one command. The reconciler,
// after sweeping an event, moves its score to the event's next expires_at, or removes it.
// Its protocol never loses a hold made meanwhile:
//   1. park: the entry's score becomes PARKED (later than any real expiry);
//   2. sweep the event, then read its earliest remaining expires_at;
//   3. `ZADD LT` that expires_at, or, with none left, remove the entry only if it is still
//      PARKED (compare-and-delete).
// A hold whose script ran before 2's read is in that read; one that ran after it sends its
// `ZADD LT` after the park, which lowers PARKED, so 3 does not remove it. An update lost to
// a crash (the hold's 201 went out, its ZADD never did) is found by the reconciler's
// occasional full walk over every event, which also fills the index after an upgrade.

/** Later than any real expires_at (ms): year ~287,000. */
export const PARKED = 9e15;

/** Removes `member` only if its score is still PARKED; one key, so fine on a Cluster. */
const REMOVE_IF_PARKED = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) >= tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0`;

/** Waits before sending a batch again after a failed send; then it is the full walk's. */
const RETRY_DELAYS_MS = [250, 1_000, 4_000];

export class DueIndex {
  private batch = new Map<string, number>();
  private flushing: Promise<void> | null = null;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: RedisClient,
    readonly key: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * Notes that `eventId` has a hold due at `expiresAtMs`. Not awaited on the request path:
   * the adds of one event-loop turn go out as one `ZADD LT`.
   */
  note(eventId: string, expiresAtMs: number): void {
    this.merge(eventId, expiresAtMs);
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private merge(eventId: string, expiresAtMs: number) {
    const current = this.batch.get(eventId);
    if (current === undefined || expiresAtMs < current) this.batch.set(eventId, expiresAtMs);
  }

  /**
   * Sends what note() collected; resolves when Redis has it (or the send failed). A failed
   * send (Redis slow or gone) is tried again a few times, with what came meanwhile.
   */
  async flush(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const batch = this.batch;
    this.batch = new Map();
    this.flushing = null;
    if (batch.size === 0) return;
    const args: (string | number)[] = [];
    for (const [eventId, expiresAtMs] of batch) args.push(expiresAtMs, eventId);
    try {
      await this.client.zadd(this.key, 'LT', ...args);
      this.failures = 0;
    } catch (error) {
      this.onError(error);
      const delay = RETRY_DELAYS_MS[this.failures++];
      if (delay === undefined) {
        this.failures = 0;
        return;
      }
      for (const [eventId, expiresAtMs] of batch) this.merge(eventId, expiresAtMs);
      this.retryTimer ??= setTimeout(() => void this.flush(), delay).unref();
    }
  }

  /** Events whose score is at or before `nowMs`, earliest first, with their scores. */
  async due(nowMs: number, limit: number): Promise<{ eventId: string; score: number }[]> {
    const flat = await this.client.zrangebyscore(this.key, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit);
    const rows: { eventId: string; score: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ eventId: flat[i]!, score: Number(flat[i + 1]) });
    return rows;
  }

  /** Step 1: the entry's score becomes PARKED (only if the entry is there). */
  async park(eventId: string): Promise<void> {
    await this.client.zadd(this.key, 'XX', PARKED, eventId);
  }

  /** Step 3: the event's earliest remaining expires_at, or null when it has no active hold. */
  async settle(eventId: string, nextExpiresAtMs: number | null): Promise<void> {
    if (nextExpiresAtMs !== null) await this.client.zadd(this.key, 'LT', nextExpiresAtMs, eventId);
    else await this.client.eval(REMOVE_IF_PARKED, 1, this.key, eventId, PARKED);
  }

  /** Puts an entry back at `score` or earlier (after a failed sweep of a parked event). */
  async restore(eventId: string, score: number): Promise<void> {
    await this.client.zadd(this.key, 'LT', score, eventId);
  }

  async size(): Promise<number> {
    return this.client.zcard(this.key);
  }
}

/** The due index's key: apart from every event's slot. */
export function dueIndexKey(keys: KeySpace): string {
  return `${keys.prefix}:due`;
}

/** Every event id, a page at a time (the event index), for the full walk. */
export async function* eventIdPages(client: RedisClient, keys: KeySpace): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, eventIds] = await client.sscan(keys.eventIndex(), cursor, 'COUNT', 500);
    cursor = next;
    if (eventIds.length > 0) yield eventIds;
  } while (cursor !== '0');
}

/** An event's earliest active expires_at (ms), null when it has no active hold. */
export async function nextExpiry(client: RedisClient, keys: KeySpace, eventId: string): Promise<number | null> {
  const first = await client.zrange(keys.eventKeys(eventId).expiries, 0, 0, 'WITHSCORES');
  return first.length === 2 ? Number(first[1]) : null;
}
