import type { Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { ScriptCode, type EventSnapshot, type HoldRecord, type Scripts } from '../redis/scripts.js';
import type { ClientLimits } from './client-limits.js';
import { DomainError, notFound } from './errors.js';
import type { AttemptIdentity } from './model.js';
import {
  digestToken,
  isEventId,
  newChildId,
  newEventId,
  newPaymentToken,
  parseChildId,
  type ChildId,
} from './ids.js';

export type HoldStatus = 'active' | 'expired' | 'released' | 'booked';

export interface EventView {
  eventId: string;
  name: string;
  total: number;
  available: number;
  held: number;
  booked: number;
  maxPerHold: number | null;
  createdAt: Date;
}

export interface HoldView {
  holdId: string;
  eventId: string;
  qty: number;
  requestedQty: number;
  status: HoldStatus;
  expiresAt: Date;
  createdAt: Date;
  bookingId?: string;
}

export interface BookingView {
  bookingId: string;
  holdId: string;
  eventId: string;
  qty: number;
  createdAt: Date;
}

export interface NewEvent {
  name: string;
  totalSeats: number;
  maxPerHold?: number;
}

export interface NewHold {
  eventId: string;
  qty: number;
  ttlS: number;
  partial: boolean;
}

/** Schedules the job that expires a hold when its time is up. */
export interface ExpiryScheduler {
  schedule(holdId: string, delayMs: number): Promise<void>;
}

export interface BoxOfficeSettings {
  maxQtyPerHold: number;
  holdRecordRetentionS: number;
  /** past-due holds a hold or snapshot reclaims before it does its own work */
  reclaimBatch: number;
}

export interface BoxOfficeDeps {
  client: RedisClient;
  scripts: Scripts;
  keys: KeySpace;
  expiry: ExpiryScheduler;
  metrics: Metrics;
  settings: BoxOfficeSettings;
  clientLimits?: ClientLimits;
  onExpiryScheduleFailed(holdId: string, error: unknown): void;
}

// A read, or a hold refused for want of seats, first gives back every past-due hold of its
// event, in batches of this size: many holds falling due at once (a sold-out on-sale whose
// buyers walked away) must not leave seats looking held until the jobs catch up.
const BULK_RECLAIM_BATCH = 1_000;
const BULK_RECLAIM_ROUNDS = 1_000;

/** The box office's operations; every seat movement is one Lua script. */
export class BoxOffice {
  constructor(private readonly deps: BoxOfficeDeps) {}

  /** `attempt.id`, when given, is the event's id: a retry with it finds the event it made. */
  async createEvent(input: NewEvent, attempt: AttemptIdentity = {}): Promise<EventView> {
    const { client, scripts, keys, metrics } = this.deps;
    const eventId = attempt.id ?? newEventId();
    // Indexed first: an index entry without an event is harmless, an event missing from
    // the index would escape the reconciler.
    await client.sadd(keys.eventIndex(), eventId);
    const reply = await scripts.createEvent(keys.eventKeys(eventId).event, input.name, input.totalSeats, input.maxPerHold);
    if (reply.code !== ScriptCode.Ok) {
      // fixes (issue 10 point 7): the first attempt with these ids made the event.
      if (attempt.id !== undefined) return this.getEvent(eventId);
      throw new Error(`event id ${eventId} already taken`);
    }
    metrics.eventsCreated.inc();
    return {
      eventId,
      name: input.name,
      total: input.totalSeats,
      available: input.totalSeats,
      held: 0,
      booked: 0,
      maxPerHold: input.maxPerHold ?? null,
      createdAt: new Date(reply.createdAtMs),
    };
  }

  async getEvent(eventId: string): Promise<EventView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const snapshot = await this.snapshotWithoutDueHolds(eventId);
    if (!snapshot) throw notFound('event', eventId);
    return {
      eventId,
      name: snapshot.name,
      total: snapshot.total,
      available: snapshot.available,
      held: snapshot.held,
      booked: snapshot.booked,
      maxPerHold: snapshot.maxPerHold,
      createdAt: new Date(snapshot.createdAtMs),
    };
  }

  /**
   * The event's counts once no past-due hold is counted as held: each snapshot reclaims a
   * bounded batch, so repeat while it says more are due (null: no such event).
   */
  private async snapshotWithoutDueHolds(eventId: string): Promise<EventSnapshot | null> {
    const eventKeys = this.deps.keys.eventKeys(eventId);
    for (let round = 1; ; round++) {
      const snapshot = await this.deps.scripts.snapshot(eventKeys, BULK_RECLAIM_BATCH);
      if (!snapshot) return null;
      this.countExpired(snapshot.reclaimed);
      if (!snapshot.moreDue || round === BULK_RECLAIM_ROUNDS) return snapshot;
    }
  }

  /**
   * `attempt.clientId` names who asks, for the per-client limits (when configured);
   * `attempt.id` and `attempt.token`, when given, are the hold's local id and payment token:
   * a retry with them finds the hold its first attempt made, and takes no seats again.
   */
  async createHold(input: NewHold, attempt: AttemptIdentity = {}): Promise<{ hold: HoldView; paymentToken: string }> {
    // --- fixes (issue 10 points 7, 8): ids from the attempt; the cap counts the hold's own id.
    const { clientId } = attempt;
    const holdId: ChildId =
      attempt.id !== undefined
        ? { id: `${input.eventId}.${attempt.id}`, eventId: input.eventId, localId: attempt.id }
        : newChildId(input.eventId);
    const holdKey = this.deps.keys.holdKeys(input.eventId, holdId.localId).hold;
    // Until the hold script answers Replay itself: the hold the first attempt made.
    if (attempt.retry && attempt.id !== undefined && isEventId(input.eventId)) {
      const { nowMs, hold } = await this.deps.scripts.readHold(holdKey);
      if (hold) {
        if (hold.token !== digestToken(attempt.token ?? '')) throw new Error(`hold ${holdId.id} has another token`);
        // The answer as the first attempt made it (status active, whatever became of it since).
        const { bookingId: _booked, ...made } = holdView(holdId.id, input.eventId, hold, nowMs);
        return { hold: { ...made, status: 'active' }, paymentToken: attempt.token! };
      }
    }
    const limits = clientId !== undefined ? this.deps.clientLimits : undefined;
    const take = () => this.takeSeats(input, holdId, attempt.token);
    if (!limits) return take();
    await limits.takeRequest(clientId!);
    const holdExpiresAt = async () => {
      const expiresAt = await this.deps.client.hget(holdKey, 'expires_at');
      return expiresAt === null ? null : Number(expiresAt);
    };
    const cap = { retry: attempt.retry === true, holdExpiresAt };
    return limits.holdWithinCap(clientId!, holdId.id, input.ttlS * 1000, cap, take);
    // --- end fixes
  }

  private async takeSeats(
    input: NewHold,
    holdId: ChildId,
    token?: string,
  ): Promise<{ hold: HoldView; paymentToken: string }> {
    const { scripts, keys, metrics, settings } = this.deps;
    if (!isEventId(input.eventId)) {
      metrics.holdsRejected.inc({ reason: 'event_not_found' });
      throw notFound('event', input.eventId);
    }
    const paymentToken = token ?? newPaymentToken();
    const holdKeys = keys.holdKeys(input.eventId, holdId.localId);
    const args = {
      holdId: holdId.localId,
      qty: input.qty,
      partial: input.partial,
      ttlMs: input.ttlS * 1000,
      tokenDigest: digestToken(paymentToken),
      recordRetentionMs: settings.holdRecordRetentionS * 1000,
      reclaimBatch: settings.reclaimBatch,
      serviceMaxQty: settings.maxQtyPerHold,
    };
    let reply = await scripts.hold(holdKeys, args);
    if (reply.code === ScriptCode.NotEnoughSeats && reply.moreDue) {
      // Short of seats while more past-due holds wait than one hold reclaims on its way: give
      // them all back, then decide on what is there, so seats of expired holds never make a
      // hold fail or a partial hold take less.
      this.countExpired(reply.reclaimed);
      await this.snapshotWithoutDueHolds(input.eventId);
      reply = await scripts.hold(holdKeys, { ...args, afterFullReclaim: true });
    }
    switch (reply.code) {
      case ScriptCode.EventNotFound:
        metrics.holdsRejected.inc({ reason: 'event_not_found' });
        throw notFound('event', input.eventId);
      case ScriptCode.QtyAboveLimit:
        metrics.holdsRejected.inc({ reason: 'qty_above_limit' });
        throw new DomainError('qty-above-limit', {
          detail: `qty ${input.qty} is above this event's limit of ${reply.limit} seats per hold`,
          errors: [{ field: 'qty', message: `must be at most ${reply.limit}` }],
          extensions: { max_per_hold: reply.limit },
        });
      case ScriptCode.NotEnoughSeats:
        this.countExpired(reply.reclaimed);
        metrics.holdsRejected.inc({ reason: 'not_enough_seats' });
        throw new DomainError('not-enough-seats', {
          detail: `${reply.available} seats available, ${input.qty} requested`,
          extensions: { available: reply.available, requested_qty: input.qty },
        });
    }
    this.countExpired(reply.reclaimed);
    metrics.holdsCreated.inc();
    const createdAtMs = reply.expiresAtMs - input.ttlS * 1000;
    await this.scheduleExpiry(holdId.id, reply.expiresAtMs - Date.now());
    return {
      paymentToken,
      hold: {
        holdId: holdId.id,
        eventId: input.eventId,
        qty: reply.qty,
        requestedQty: input.qty,
        status: 'active',
        expiresAt: new Date(reply.expiresAtMs),
        createdAt: new Date(createdAtMs),
      },
    };
  }

  async getHold(holdId: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const { nowMs, hold } = await this.deps.scripts.readHold(this.deps.keys.holdKeys(id.eventId, id.localId).hold);
    if (!hold) throw notFound('hold', holdId);
    return holdView(holdId, id.eventId, hold, nowMs);
  }

  async releaseHold(holdId: string, paymentToken: string, clientId?: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const reply = await this.deps.scripts.release(
      this.deps.keys.holdKeys(id.eventId, id.localId),
      id.localId,
      digestToken(paymentToken),
    );
    switch (reply.code) {
      case ScriptCode.HoldNotFound:
        throw notFound('hold', holdId);
      case ScriptCode.TokenMismatch:
        throw tokenMismatch();
      case ScriptCode.HoldBooked:
        throw new DomainError('hold-booked', { detail: 'This hold is booked; a booked hold cannot be released' });
      case ScriptCode.HoldGone:
        this.countExpired(reply.reclaimed);
        throw new DomainError('hold-gone', { detail: 'This hold has expired', extensions: { hold_status: 'expired' } });
    }
    if (reply.code === ScriptCode.Ok) this.deps.metrics.holdsReleased.inc();
    await this.forgetClientHold(clientId, holdId);
    return holdView(holdId, id.eventId, reply.hold, Number(reply.hold.released_at));
  }

  async book(holdId: string, paymentToken: string, clientId?: string): Promise<{ booking: BookingView; replayed: boolean }> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const bookingId = newChildId(id.eventId);
    const reply = await this.deps.scripts.book(this.deps.keys.bookKeys(id.eventId, id.localId, bookingId.localId), {
      localHoldId: id.localId,
      tokenDigest: digestToken(paymentToken),
      bookingId: bookingId.id,
      holdId,
      eventId: id.eventId,
    });
    switch (reply.code) {
      case ScriptCode.HoldNotFound:
        throw notFound('hold', holdId);
      case ScriptCode.TokenMismatch:
        throw tokenMismatch();
      case ScriptCode.HoldGone:
        this.countExpired(reply.reclaimed);
        throw new DomainError('hold-gone', {
          detail: `This hold has ${reply.reason === 'expired' ? 'expired' : 'been released'}; hold seats again`,
          extensions: { hold_status: reply.reason },
        });
    }
    const replayed = reply.code === ScriptCode.Replay;
    (replayed ? this.deps.metrics.bookingReplays : this.deps.metrics.bookings).inc();
    await this.forgetClientHold(clientId, holdId);
    return {
      replayed,
      booking: {
        bookingId: reply.bookingId,
        holdId,
        eventId: id.eventId,
        qty: reply.qty,
        createdAt: new Date(reply.createdAtMs),
      },
    };
  }

  async getBooking(bookingId: string): Promise<BookingView> {
    const id = parseChildId(bookingId);
    if (!id) throw notFound('booking', bookingId);
    const record = await this.deps.client.hgetall(this.deps.keys.bookingKey(id.eventId, id.localId));
    if (!record.hold_id) throw notFound('booking', bookingId);
    return {
      bookingId,
      holdId: record.hold_id,
      eventId: id.eventId,
      qty: Number(record.qty),
      createdAt: new Date(Number(record.created_at)),
    };
  }

  /** A booked or released hold no longer counts against its client's cap. */
  private async forgetClientHold(clientId: string | undefined, holdId: string) {
    if (clientId === undefined || !this.deps.clientLimits) return;
    // fixes (issue 10 point 9): not awaited, so a slow Redis does not hold back the answer; the
    // command goes out now, ahead of the client's next request on this connection.
    void this.deps.clientLimits.forgetHold(clientId, holdId).catch(() => undefined);
  }

  private countExpired(holds: number) {
    if (holds > 0) this.deps.metrics.holdsExpired.inc(holds);
  }

  private async scheduleExpiry(holdId: string, delayMs: number) {
    try {
      await this.deps.expiry.schedule(holdId, Math.max(0, delayMs));
    } catch (error) {
      // The hold stands: the reconciler expires holds whose job never made it.
      this.deps.onExpiryScheduleFailed(holdId, error);
    }
  }
}

const tokenMismatch = () => new DomainError('forbidden-token', { detail: 'payment_token does not match this hold' });

function holdView(holdId: string, eventId: string, hold: HoldRecord, nowMs: number): HoldView {
  const expiresAtMs = Number(hold.expires_at);
  const stored = hold.status as HoldStatus;
  // A past-due hold may wait a moment for its expiry job; readers already see it expired.
  const status: HoldStatus = stored === 'active' && nowMs >= expiresAtMs ? 'expired' : stored;
  return {
    holdId,
    eventId,
    qty: Number(hold.qty),
    requestedQty: Number(hold.requested_qty),
    status,
    expiresAt: new Date(expiresAtMs),
    createdAt: new Date(Number(hold.created_at)),
    ...(hold.booking_id ? { bookingId: hold.booking_id } : {}),
  };
}
