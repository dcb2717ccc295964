import type { HoldRejectReason, Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { ScriptCode, type Flat, type Reply, type Scripts } from '../redis/scripts.js';
import type { ClientLimits } from './client-limits.js';
import { BULK_RECLAIM_BATCH, BULK_RECLAIM_ROUNDS, untilNoneDue } from './reclaim.js';
import type { ScriptEffects } from './script-effects.js';

// What the operations on an event's seats share (events, holds, bookings, waiting lists,
// and the blocks, quotas and sales state to come): running one of the event's scripts and
// applying what it did on the way, reading a reply's fields, and the settings and
// connections every operation module is built from.

export interface DomainSettings {
  maxQtyPerHold: number;
  holdRecordRetentionS: number;
  /** past-due holds a hold or join reclaims before it does its own work */
  reclaimBatch: number;
  maxExtensions: number;
  maxLifetimeS: number;
}

/** What every domain module is built from (service.ts makes one and hands it to each). */
export interface DomainDeps {
  client: RedisClient;
  scripts: Scripts;
  keys: KeySpace;
  effects: ScriptEffects;
  metrics: Metrics;
  settings: DomainSettings;
  clientLimits?: ClientLimits;
}

/** A reply field as text ('' for a nil) or as a number. */
export const str = (value: Flat[number] | undefined) => (value === null || value === undefined ? '' : String(value));
export const num = (value: Flat[number] | undefined) => Number(value);

/** Done, or done before (a retry or a second call that finds the work already there). */
export const accepted = (reply: Reply) => reply.code === ScriptCode.Ok || reply.code === ScriptCode.Replay;

/** Rejected-hold reasons for the metric, by refusal code (bounded). */
export const HOLD_REJECT_REASON: Partial<Record<number, { reason: HoldRejectReason }>> = {
  [ScriptCode.EventNotFound]: { reason: 'event_not_found' },
  [ScriptCode.NotEnoughSeats]: { reason: 'not_enough_seats' },
  [ScriptCode.ItemsShort]: { reason: 'not_enough_seats' },
  [ScriptCode.QtyAboveLimit]: { reason: 'qty_above_limit' },
  [ScriptCode.SeatsUnavailable]: { reason: 'seats_unavailable' },
  [ScriptCode.NoAdjacentSeats]: { reason: 'no_adjacent_seats' },
  [ScriptCode.WaitlistFirst]: { reason: 'waitlist_first' },
  [ScriptCode.UnknownSeats]: { reason: 'unknown_category_or_seat' },
  [ScriptCode.UnknownCategory]: { reason: 'unknown_category_or_seat' },
  [ScriptCode.AdmissionRequired]: { reason: 'admission_required' },
  [ScriptCode.AdmissionInUse]: { reason: 'admission_in_use' },
  [ScriptCode.SalesPaused]: { reason: 'sales_paused' },
  [ScriptCode.QuotaShort]: { reason: 'quota_exceeded' },
  [ScriptCode.BlockNotFound]: { reason: 'block_not_found' },
};

/** Replies of the snapshot (and seat map) scripts, and the last log entry they include. */
export interface SnapshotAtLogPosition {
  snapshot: Reply;
  seatMap?: Reply;
  /** the id of the newest log entry once they ran; '0' when the log is empty */
  lastLogId: string;
}

/** An event's scripts, run with the event's key; the seat-moving ones apply their effects. */
export class EventScripts {
  constructor(private readonly deps: Pick<DomainDeps, 'scripts' | 'keys' | 'effects' | 'settings'>) {}

  get retentionMs(): number {
    return this.deps.settings.holdRecordRetentionS * 1000;
  }

  /**
   * Runs a seat-moving script of an event and applies what it did on the way; not once
   * `signal` (an attempt's, see AttemptIdentity) has aborted.
   */
  async run(script: string, eventId: string, args: (string | number)[], signal?: AbortSignal): Promise<Reply> {
    signal?.throwIfAborted();
    const reply = await runForEffects(this.deps, eventId, () => this.deps.scripts.run(script, this.deps.keys.eventKey(eventId), args));
    await this.deps.effects.apply(eventId, reply.effects);
    return reply;
  }

  /** A script whose reply is not the usual code-first shape (it moves no seats). */
  raw(script: string, eventId: string, args: (string | number)[], signal?: AbortSignal): Promise<Flat> {
    signal?.throwIfAborted();
    return this.deps.scripts.raw(script, this.deps.keys.eventKey(eventId), args);
  }

  /**
   * The event's snapshot, read after every past-due hold is given back (in batches). With the
   * version a reader saw, the answer may be just `Unchanged`.
   */
  snapshot(eventId: string, knownVersion = '', signal?: AbortSignal): Promise<Reply> {
    return untilNoneDue(() =>
      this.run('snapshot', eventId, [eventId, BULK_RECLAIM_BATCH, this.retentionMs, knownVersion], signal),
    );
  }

  /**
   * The snapshot (and with `withSeatMap` the whole seat map) and the id of the newest log
   * entry that state includes, in one MULTI. Again while past-due holds remain, or when the
   * seat map's own reclaim (a hold falling due between the two scripts) moved seats after
   * the counts were read: the answer is one moment, exactly after `lastLogId`.
   */
  async snapshotAtLogPosition(eventId: string, withSeatMap: boolean): Promise<SnapshotAtLogPosition> {
    const { scripts, keys, effects } = this.deps;
    const reclaim = [eventId, BULK_RECLAIM_BATCH, this.retentionMs];
    const calls = [{ script: 'snapshot', args: reclaim }, ...(withSeatMap ? [{ script: 'seatMap', args: [...reclaim, ''] }] : [])];
    for (let round = 1; ; round++) {
      const { replies, newestId } = await runForEffects(this.deps, eventId, () =>
        scripts.runThenNewestId(keys.eventKey(eventId), calls, keys.eventKeys(eventId).log),
      );
      for (const reply of replies) await effects.apply(eventId, reply.effects);
      const [snapshot, seatMap] = replies as [Reply, Reply | undefined];
      const moreDue = snapshot.code === ScriptCode.Ok && Number(snapshot.rest[0]) === 1;
      const seatMapLater = seatMap !== undefined && seatMap.effects.logged > 0;
      if ((!moreDue && !seatMapLater) || round === BULK_RECLAIM_ROUNDS) {
        return { snapshot, ...(seatMap ? { seatMap } : {}), lastLogId: newestId ?? '0' };
      }
    }
  }
}

/**
 * Runs a seat-moving script of `eventId`; when it fails without a reply (a timeout, a lost
 * connection), its outcome is unknown, and the event is marked due so that whatever holds it
 * made still expire on time.
 */
export async function runForEffects<Replies>(
  deps: Pick<DomainDeps, 'effects'>,
  eventId: string,
  script: () => Promise<Replies>,
): Promise<Replies> {
  try {
    return await script();
  } catch (error) {
    deps.effects.unknownOutcome(eventId);
    throw error;
  }
}

/** A booked or released hold no longer counts against its client's cap. */
export function forgetClientHold(limits: ClientLimits | undefined, clientId: string | undefined, holdId: string): void {
  if (clientId === undefined || !limits) return;
  // fixes (issue 10 point 9): not awaited, so a slow Redis does not hold back the answer; the
  // command goes out now, ahead of the client's next request on this connection.
  void limits.forgetHold(clientId, holdId).catch(() => undefined);
}
