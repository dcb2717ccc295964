import type { HoldRejectReason, Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { ScriptCode, pairsToRecord, type Flat, type Reply, type Scripts } from '../redis/scripts.js';
import type { ClientLimits } from './client-limits.js';
import { DomainError, notFound } from './errors.js';
import {
  digestToken,
  isEventId,
  newChildId,
  newEventId,
  newPaymentToken,
  parseAdmissionToken,
  parseChildId,
  type ChildId,
} from './ids.js';
import {
  GENERAL_CATEGORY,
  type AttemptIdentity,
  type BookingView,
  type CancelAuthority,
  type CategoryView,
  type CreatedHold,
  type EventView,
  type HoldView,
  type NewEvent,
  type NewHold,
  type SeatRequest,
  type SeatRowView,
  type AuditPage,
  type NewWaitlistEntry,
  type WaitlistEntryView,
} from './model.js';
import { AuditLog } from './audit-log.js';
import { bookingView, holdView } from './records.js';
import { WaitingList } from './waiting-list.js';
import type { ScriptEffects } from './script-effects.js';
import { BULK_RECLAIM_BATCH, untilNoneDue } from './reclaim.js';
import { refusalOf } from './script-refusals.js';

export type { ExpiryScheduler } from './script-effects.js';

export interface BoxOfficeSettings {
  maxQtyPerHold: number;
  holdRecordRetentionS: number;
  /** past-due holds a hold or snapshot reclaims before it does its own work */
  reclaimBatch: number;
  maxExtensions: number;
  maxLifetimeS: number;
}

export interface BoxOfficeDeps {
  client: RedisClient;
  scripts: Scripts;
  keys: KeySpace;
  effects: ScriptEffects;
  metrics: Metrics;
  settings: BoxOfficeSettings;
  clientLimits?: ClientLimits;
}


const str = (value: Flat[number] | undefined) => (value === null || value === undefined ? '' : String(value));
const num = (value: Flat[number] | undefined) => Number(value);

/** Rejected-hold reasons for the metric, by refusal code (bounded). */
const REJECT_REASON: Partial<Record<number, { reason: HoldRejectReason }>> = {
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
};

/** The box office's operations on events, holds and bookings; every seat movement is one Lua script. */
export class BoxOffice {
  private readonly waitingList: WaitingList;
  private readonly auditLog: AuditLog;

  constructor(private readonly deps: BoxOfficeDeps) {
    this.waitingList = new WaitingList({ ...deps, settings: deps.settings });
    this.auditLog = new AuditLog(deps.client, deps.keys);
  }

  joinWaitlist(input: NewWaitlistEntry, attempt?: AttemptIdentity) {
    return this.waitingList.join(input, attempt);
  }

  getWaitlistEntry(entryId: string): Promise<WaitlistEntryView> {
    return this.waitingList.get(entryId);
  }

  leaveWaitlist(entryId: string, entryToken: string): Promise<WaitlistEntryView> {
    return this.waitingList.leave(entryId, entryToken);
  }

  readLog(eventId: string, after: string | undefined, limit: number): Promise<AuditPage> {
    return this.auditLog.read(eventId, after, limit);
  }

  private get retentionMs() {
    return this.deps.settings.holdRecordRetentionS * 1000;
  }

  /** Runs a seat-moving script of an event and applies what it did on the way. */
  private async run(script: string, eventId: string, args: (string | number)[]): Promise<Reply> {
    const reply = await this.deps.scripts.run(script, this.deps.keys.eventKey(eventId), args);
    await this.deps.effects.apply(eventId, reply.effects);
    return reply;
  }

  async createEvent(input: NewEvent, attempt: AttemptIdentity = {}): Promise<{ event: EventView; replayed: boolean }> {
    const { client, keys, metrics } = this.deps;
    const eventId = attempt.id ?? newEventId();
    const categories = input.categories ?? [{ categoryId: GENERAL_CATEGORY, capacity: input.totalSeats! }];
    const spec = categories.map((c) =>
      c.rows
        ? { id: c.categoryId, name: c.name ?? c.categoryId, rows: c.rows.map((r) => [r.row, r.seats]) }
        : { id: c.categoryId, name: c.name ?? c.categoryId, capacity: c.capacity },
    );
    // Indexed first: an index entry without an event is harmless, an event missing from
    // the index would escape the reconciler.
    await client.sadd(keys.eventIndex(), eventId);
    const reply = await this.deps.scripts.raw('createEvent', keys.eventKey(eventId), [
      eventId,
      input.name,
      input.maxPerHold ?? '',
      JSON.stringify(spec),
    ]);
    const replayed = reply[0] === ScriptCode.Replay;
    if (!replayed) metrics.eventsCreated.inc();
    return { event: await this.getEvent(eventId), replayed };
  }

  async getEvent(eventId: string): Promise<EventView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const reply = await untilNoneDue(() =>
      this.run('snapshot', eventId, [eventId, BULK_RECLAIM_BATCH, this.retentionMs]),
    );
    if (reply.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    const [, name, createdAt, maxPerHold, ...flat] = reply.rest;
    const categories: CategoryView[] = [];
    for (let i = 0; i + 7 < flat.length + 1; i += 8) {
      categories.push({
        categoryId: str(flat[i]),
        name: str(flat[i + 1]),
        kind: str(flat[i + 2]) === 'seated' ? 'seated' : 'general',
        total: num(flat[i + 3]),
        available: num(flat[i + 4]),
        held: num(flat[i + 5]),
        booked: num(flat[i + 6]),
        waiting: num(flat[i + 7]),
      });
    }
    const sum = (field: 'total' | 'available' | 'held' | 'booked') => categories.reduce((s, c) => s + c[field], 0);
    return {
      eventId,
      name: str(name),
      total: sum('total'),
      available: sum('available'),
      held: sum('held'),
      booked: sum('booked'),
      maxPerHold: str(maxPerHold) === '' ? null : num(maxPerHold),
      createdAt: new Date(num(createdAt)),
      categories,
    };
  }

  async getSeats(eventId: string, categoryId?: string): Promise<SeatRowView[]> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const reply = await untilNoneDue(() =>
      this.run('seatMap', eventId, [eventId, BULK_RECLAIM_BATCH, this.retentionMs, categoryId ?? '']),
    );
    if (reply.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    if (reply.code === ScriptCode.UnknownCategory) throw notFound('category', categoryId ?? '');
    const flat = reply.rest.slice(1);
    const rows: SeatRowView[] = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      rows.push({ row: str(flat[i]), categoryId: str(flat[i + 1]), seats: num(flat[i + 2]), status: str(flat[i + 3]) });
    }
    return rows;
  }

  /**
   * `attempt.clientId` names who asks (for the per-client limits); `attempt.id` and
   * `attempt.token`, on a retry after an unknown outcome, are the hold's local id and payment
   * token the first attempt chose: the hold script is idempotent on them, so a retry finds
   * the hold the first attempt made and never takes seats twice.
   */
  async createHold(input: NewHold, attempt: AttemptIdentity = {}): Promise<CreatedHold> {
    if (!isEventId(input.eventId)) {
      this.deps.metrics.holdsRejected.inc({ reason: 'event_not_found' });
      throw notFound('event', input.eventId);
    }
    const holdId: ChildId =
      attempt.id !== undefined
        ? { id: `${input.eventId}.${attempt.id}`, eventId: input.eventId, localId: attempt.id }
        : newChildId(input.eventId);
    const paymentToken = attempt.token ?? newPaymentToken();
    const take = () => this.takeHold(input, holdId, paymentToken);
    const limits = attempt.clientId !== undefined ? this.deps.clientLimits : undefined;
    if (!limits) return take();
    await limits.takeRequest(attempt.clientId!);
    const holdKey = this.deps.keys.holdKey(input.eventId, holdId.localId);
    const holdExpiresAt = async () => {
      const expiresAt = await this.deps.client.hget(holdKey, 'expires_at');
      return expiresAt === null ? null : Number(expiresAt);
    };
    return limits.holdWithinCap(
      attempt.clientId!,
      holdId.id,
      input.ttlS * 1000,
      { retry: attempt.retry === true, holdExpiresAt },
      take,
    );
  }

  private async takeHold(input: NewHold, holdId: ChildId, paymentToken: string): Promise<CreatedHold> {
    const { metrics } = this.deps;
    const reply = await this.takeSeats(input, holdId.localId, digestToken(paymentToken));
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
      const reason = REJECT_REASON[reply.code];
      if (reason) metrics.holdsRejected.inc(reason);
      if (reply.code === ScriptCode.IdTaken) throw new Error(`hold id ${holdId.id} is taken by another attempt`);
      throw refusalOf('hold', reply, {
        subject: 'hold',
        id: holdId.id,
        eventId: input.eventId,
        requested: requestedQty(input.request),
      });
    }
    const replayed = reply.code === ScriptCode.Replay;
    const hold = this.createdHoldView(holdId.id, input.eventId, reply.rest);
    if (!replayed) {
      metrics.holdsCreated.inc();
      await this.deps.effects.schedule(hold.holdId, hold.expiresAt.getTime());
    }
    return { hold, paymentToken, replayed };
  }

  private async takeSeats(input: NewHold, localId: string, tokenDigest: string): Promise<Reply> {
    const { settings } = this.deps;
    const [mode, spec] = encodeRequest(input.request);
    const admission = parseAdmissionToken(input.admissionToken);
    const args = (afterFullReclaim: boolean) => [
      input.eventId,
      localId,
      tokenDigest,
      input.ttlS * 1000,
      this.retentionMs,
      settings.reclaimBatch,
      settings.maxQtyPerHold,
      afterFullReclaim ? '1' : '0',
      mode,
      spec,
      admission.ticketLocalId,
      admission.digest,
    ];
    let reply = await this.run('hold', input.eventId, args(false));
    if (reply.code === ScriptCode.NotEnoughSeats && num(reply.rest[1]) === 1) {
      // more_due: more past-due holds wait than one hold reclaims on its way. Give them all
      // back, then decide on what is there, so seats of expired holds never make a hold fail,
      // take less, or take worse seats.
      await untilNoneDue(() => this.run('snapshot', input.eventId, [input.eventId, BULK_RECLAIM_BATCH, this.retentionMs]));
      reply = await this.run('hold', input.eventId, args(true));
    }
    return reply;
  }

  private createdHoldView(holdId: string, eventId: string, rest: Flat): HoldView {
    const [qty, expiresAt, createdAt, lines, seats, requested, extensions] = rest;
    return holdView(
      holdId,
      eventId,
      {
        qty: str(qty),
        expires_at: str(expiresAt),
        created_at: str(createdAt),
        lines: str(lines),
        ...(str(seats) ? { seats: str(seats) } : {}),
        requested_qty: str(requested),
        extensions: str(extensions),
        status: 'active',
      },
      this.deps.settings.maxExtensions,
    );
  }

  async getHold(holdId: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const reply = await this.deps.scripts.raw('readHold', this.deps.keys.eventKey(id.eventId), [id.localId]);
    const record = pairsToRecord(reply.slice(2));
    if (!record.status) throw notFound('hold', holdId);
    return holdView(holdId, id.eventId, record, this.deps.settings.maxExtensions, {
      nowMs: num(reply[0]),
      countedActive: num(reply[1]) === 1,
    });
  }

  async releaseHold(holdId: string, paymentToken: string, clientId?: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const reply = await this.run('release', id.eventId, [id.eventId, id.localId, digestToken(paymentToken), this.retentionMs]);
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
      throw refusalOf('release', reply, { subject: 'hold', id: holdId, eventId: id.eventId });
    }
    if (reply.code === ScriptCode.Ok) this.deps.metrics.holdsReleased.inc();
    await this.forgetClientHold(clientId, holdId);
    return holdView(holdId, id.eventId, pairsToRecord(reply.rest), this.deps.settings.maxExtensions);
  }

  async extendHold(holdId: string, paymentToken: string, ttlS: number, clientId?: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const { settings } = this.deps;
    const reply = await this.run('extendHold', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(paymentToken),
      ttlS * 1000,
      settings.maxExtensions,
      settings.maxLifetimeS * 1000,
      this.retentionMs,
    ]);
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
      throw refusalOf('extendHold', reply, { subject: 'hold', id: holdId, eventId: id.eventId });
    }
    const hold = holdView(holdId, id.eventId, pairsToRecord(reply.rest), settings.maxExtensions);
    if (reply.code === ScriptCode.Ok) {
      this.deps.metrics.holdsExtended.inc();
      // The cap counts the hold until its new expires_at; its job re-delays itself when it fires.
      if (clientId !== undefined && this.deps.clientLimits) {
        await this.deps.clientLimits.extendHold(clientId, holdId, hold.expiresAt.getTime()).catch(() => undefined);
      }
    }
    return hold;
  }

  async book(holdId: string, paymentToken: string, clientId?: string): Promise<{ booking: BookingView; replayed: boolean }> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const bookingId = newChildId(id.eventId);
    const reply = await this.run('book', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(paymentToken),
      bookingId.localId,
      this.retentionMs,
    ]);
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
      throw refusalOf('book', reply, { subject: 'hold', id: holdId, eventId: id.eventId });
    }
    const replayed = reply.code === ScriptCode.Replay;
    (replayed ? this.deps.metrics.bookingReplays : this.deps.metrics.bookings).inc();
    await this.forgetClientHold(clientId, holdId);
    const [bookedId, ...fields] = reply.rest;
    const record = pairsToRecord(fields);
    // A version-1 booking record has no status, lines or hold id of its own beyond these.
    if (!record.hold_id) record.hold_id = holdId;
    return { replayed, booking: bookingView(str(bookedId), id.eventId, record) };
  }

  async getBooking(bookingId: string): Promise<BookingView> {
    const id = parseChildId(bookingId);
    if (!id) throw notFound('booking', bookingId);
    const record = await this.deps.client.hgetall(this.deps.keys.bookingKey(id.eventId, id.localId));
    if (!record.hold_id) throw notFound('booking', bookingId);
    return bookingView(bookingId, id.eventId, record);
  }

  async cancelBooking(bookingId: string, authority: CancelAuthority): Promise<BookingView> {
    const id = parseChildId(bookingId);
    if (!id) throw notFound('booking', bookingId);
    const asAdmin = 'admin' in authority;
    const reply = await this.run('cancelBooking', id.eventId, [
      id.eventId,
      id.localId,
      asAdmin ? '' : digestToken(authority.paymentToken),
      asAdmin ? '1' : '0',
      this.retentionMs,
    ]);
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
      throw refusalOf('cancelBooking', reply, { subject: 'booking', id: bookingId, eventId: id.eventId });
    }
    if (reply.code === ScriptCode.Ok) this.deps.metrics.bookingsCancelled.inc();
    return bookingView(bookingId, id.eventId, pairsToRecord(reply.rest));
  }

  /** A booked or released hold no longer counts against its client's cap. */
  private async forgetClientHold(clientId: string | undefined, holdId: string) {
    if (clientId === undefined || !this.deps.clientLimits) return;
    // fixes (issue 10 point 9): not awaited, so a slow Redis does not hold back the answer; the
    // command goes out now, ahead of the client's next request on this connection.
    void this.deps.clientLimits.forgetHold(clientId, holdId).catch(() => undefined);
  }
}

const requestedQty = (request: SeatRequest): number =>
  request.kind === 'qty'
    ? request.qty
    : request.kind === 'items'
      ? request.items.reduce((sum, item) => sum + item.qty, 0)
      : request.seats.length;

/** The hold script's mode and spec arguments (lua/hold-1.lua). */
function encodeRequest(request: SeatRequest): [string, string] {
  switch (request.kind) {
    case 'qty':
      return [
        'qty',
        `${request.categoryId ?? ''}|${request.qty}|${request.partial ? 1 : 0}|${request.adjacent ? 1 : 0}`,
      ];
    case 'items':
      return ['items', request.items.map((item) => `${item.categoryId}=${item.qty}`).join(';')];
    case 'seats':
      return ['seats', request.seats.join(',')];
  }
}

