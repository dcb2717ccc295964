import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { ScriptCode, type Scripts } from '../redis/scripts.js';
import { parseChildId } from './ids.js';
import { runForEffects } from './event-scripts.js';
import type { ScriptEffects } from './script-effects.js';

// Expiring holds: one at a time (the expiry job) and in sweeps over every event (the
// reconciler, for jobs that were lost). Both are idempotent and safe at any moment, and
// both hand freed seats to waiting lists in the same script.

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
    readonly effects: ScriptEffects,
    private readonly retentionMs: number,
  ) {}

  async expire(holdId: string): Promise<ExpireOutcome> {
    const id = parseChildId(holdId);
    if (!id) return { kind: 'nothing-to-do' };
    const reply = await runForEffects(this, id.eventId, () =>
      this.scripts.run('expireHold', this.keys.eventKey(id.eventId), [id.eventId, id.localId, this.retentionMs]),
    );
    await this.effects.apply(id.eventId, reply.effects);
    switch (reply.code) {
      case ScriptCode.Ok:
      case ScriptCode.SeatsAlreadyBack:
        return { kind: 'expired' };
      case ScriptCode.NotDue:
        return { kind: 'not-due', remainingMs: Number(reply.rest[0]) };
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
      for (const eventId of eventIds) expired += (await this.sweepEvent(eventId)).expired;
    } while (cursor !== '0');
    return expired;
  }

  /** Expires an event's past-due holds; says when its next hold falls due (null: none). */
  async sweepEvent(eventId: string): Promise<{ expired: number; nextDueMs: number | null }> {
    let expired = 0;
    for (;;) {
      const reply = await runForEffects(this, eventId, () =>
        this.scripts.run('sweepExpired', this.keys.eventKey(eventId), [eventId, SWEEP_BATCH, this.retentionMs]),
      );
      await this.effects.apply(eventId, reply.effects);
      expired += reply.code;
      if (reply.code < SWEEP_BATCH) {
        const next = String(reply.rest[0] ?? '');
        return { expired, nextDueMs: next === '' ? null : Number(next) };
      }
    }
  }
}
