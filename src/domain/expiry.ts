import type { Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { ScriptCode, type Scripts } from '../redis/scripts.js';
import { parseChildId } from './ids.js';

// Expiring holds: one at a time (the expiry job) and in sweeps over every event (the
// reconciler, for jobs that were lost). Both are idempotent and safe at any moment.

export type ExpireOutcome =
  | { kind: 'expired' }
  | { kind: 'nothing-to-do' }
  | { kind: 'not-due'; remainingMs: number };

const SWEEP_BATCH = 500;
const EVENT_SCAN_COUNT = 500;

export class HoldExpirer {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Scripts,
    private readonly keys: KeySpace,
    private readonly metrics: Metrics,
  ) {}

  async expire(holdId: string): Promise<ExpireOutcome> {
    const id = parseChildId(holdId);
    if (!id) return { kind: 'nothing-to-do' };
    const reply = await this.scripts.expireHold(this.keys.holdKeys(id.eventId, id.localId), id.localId);
    switch (reply.code) {
      case ScriptCode.Ok:
        this.metrics.holdsExpired.inc();
        return { kind: 'expired' };
      case ScriptCode.SeatsAlreadyBack:
        return { kind: 'expired' };
      case ScriptCode.NotDue:
        return { kind: 'not-due', remainingMs: reply.remainingMs };
      default:
        return { kind: 'nothing-to-do' };
    }
  }

  /** Expires every past-due hold of every event; returns how many holds it expired. */
  async sweepAll(): Promise<number> {
    let expired = 0;
    let cursor = '0';
    do {
      const [next, eventIds] = await this.client.sscan(this.keys.eventIndex(), cursor, 'COUNT', EVENT_SCAN_COUNT);
      cursor = next;
      for (const eventId of eventIds) expired += await this.sweepEvent(eventId);
    } while (cursor !== '0');
    return expired;
  }

  async sweepEvent(eventId: string): Promise<number> {
    const eventKeys = this.keys.eventKeys(eventId);
    let expired = 0;
    for (;;) {
      const reclaimed = await this.scripts.sweepExpired(eventKeys, SWEEP_BATCH);
      expired += reclaimed.length;
      this.metrics.holdsExpired.inc(reclaimed.length);
      // Seats are back; now flip each record's status so GET /holds and the job agree.
      await Promise.all(
        reclaimed.map((localId) => this.scripts.expireHold(this.keys.holdKeys(eventId, localId), localId)),
      );
      if (reclaimed.length < SWEEP_BATCH) return expired;
    }
  }
}
