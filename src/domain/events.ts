import { ScriptCode, type Flat, type Reply } from '../redis/scripts.js';
import { DomainError, notFound } from './errors.js';
import { EventScripts, num, str, type DomainDeps } from './event-scripts.js';
import { isEventId, newEventId } from './ids.js';
import { BULK_RECLAIM_BATCH, untilNoneDue } from './reclaim.js';
import { VersionedCache } from './read-cache.js';
import { refusalOf } from './script-refusals.js';
import { putCategoryRows } from './category-rows.js';
import {
  GENERAL_CATEGORY,
  type AttemptIdentity,
  type CategoryView,
  type EventChanges,
  type EventPage,
  type EventView,
  type NewEvent,
  type QuotaView,
  type SalesState,
  type SeatRowView,
} from './model.js';

// Events: create one, list them, change one, read its counts (one consistent snapshot) and
// its seat map. Both reads give back every past-due hold first, so what they show is what a
// hold would find; a read that finds nothing changed since this instance last read the event
// takes the answer it has.

const COUNTS = ['total', 'available', 'held', 'booked', 'blocked'] as const;
const MAX_CREATED_AT = 9_999_999_999_999;

export class Events {
  private readonly eventScripts: EventScripts;
  private readonly snapshots = new VersionedCache<EventView>();
  private readonly seatMaps = new VersionedCache<SeatRowView[]>();

  constructor(private readonly deps: DomainDeps) {
    this.eventScripts = new EventScripts(deps);
  }

  async create(input: NewEvent, attempt: AttemptIdentity = {}): Promise<{ event: EventView; replayed: boolean }> {
    const { client, keys, metrics } = this.deps;
    const eventId = attempt.id ?? newEventId();
    const categories = input.categories ?? [{ categoryId: GENERAL_CATEGORY, capacity: input.totalSeats! }];
    // Indexed first: an index entry without an event is harmless, an event missing from
    // the index would escape the reconciler.
    await client.sadd(keys.eventIndex(), eventId);
    const specs = [];
    for (const category of categories) specs.push(await putCategoryRows(this.eventScripts, eventId, category));
    const quotas = (input.quotas ?? []).map((q) => ({ id: q.quotaId, capacity: q.capacity, categories: q.categories }));
    const reply = await this.eventScripts.raw(
      'createEvent',
      eventId,
      [eventId, input.name, input.maxPerHold ?? '', input.sales ?? 'open', JSON.stringify(specs), JSON.stringify(quotas)],
      attempt.signal,
    );
    const replayed = reply[0] === ScriptCode.Replay;
    // listed once created (by Redis's clock); a retry lists it again, which changes nothing
    await client.zadd(keys.eventsByCreation(), 0, listMember(num(reply[1]), eventId));
    if (!replayed) metrics.eventsCreated.inc();
    return { event: await this.get(eventId, attempt.signal), replayed };
  }

  /** `signal`: the creating attempt's, when the read ends a create */
  async get(eventId: string, signal?: AbortSignal): Promise<EventView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const reply = await this.eventScripts.snapshot(eventId, this.snapshots.versionOf(eventId), signal);
    if (reply.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    if (reply.code === ScriptCode.Unchanged) {
      const cached = this.snapshots.get(eventId);
      if (cached) return cached;
      return this.get(eventId, signal);
    }
    const view = eventViewOf(eventId, reply);
    this.snapshots.set(eventId, str(reply.rest[1]), view);
    return view;
  }

  /**
   * The event as get() reads it (and its whole seat map as seatMap() reads it, with
   * `withSeatMap`), and the id of the last log entry that state includes ('0' for none):
   * applying the entries after it, in order, keeps the counts and the map current.
   */
  async getAtLogPosition(eventId: string, withSeatMap: boolean): Promise<EventAtLogPosition> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const { snapshot, seatMap, lastLogId } = await this.eventScripts.snapshotAtLogPosition(eventId, withSeatMap);
    if (snapshot.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    return {
      event: eventViewOf(eventId, snapshot),
      ...(seatMap ? { seats: seatRowsOf(seatMap.rest.slice(3)) } : {}),
      lastLogId,
    };
  }

  /**
   * Lists these events (if they exist) in the events list again: one created by an attempt
   * that died between creating it and listing it is listed by the reconciler's full walk.
   */
  async relist(eventIds: string[]): Promise<void> {
    const { client, keys } = this.deps;
    const createdAt = await Promise.all(eventIds.map((eventId) => client.hget(keys.eventKey(eventId), 'created_at')));
    const members = eventIds.flatMap((eventId, i) => (createdAt[i] ? [0, listMember(Number(createdAt[i]), eventId)] : []));
    if (members.length > 0) await client.zadd(keys.eventsByCreation(), ...members);
  }

  /** Newest first; `after` is a `next` of an earlier page. */
  async list(limit: number, after?: string): Promise<EventPage> {
    const { client, keys } = this.deps;
    const from = after === undefined ? '-' : `(${parseListCursor(after)}`;
    const members = await client.zrangebylex(keys.eventsByCreation(), from, '+', 'LIMIT', 0, limit + 1);
    const page = members.slice(0, limit);
    const views = await Promise.all(
      page.map((member) => this.get(member.slice(member.indexOf(':') + 1)).catch(notFoundAsNull)),
    );
    const events = views
      .filter((view): view is EventView => view !== null)
      .map((view) => ({
        eventId: view.eventId,
        name: view.name,
        createdAt: view.createdAt,
        sales: view.sales,
        ...Object.fromEntries(COUNTS.map((count) => [count, view[count]])),
      })) as EventPage['events'];
    const last = page.at(-1);
    return {
      events,
      next: last !== undefined ? Buffer.from(last).toString('base64url') : (after ?? null),
      more: members.length > limit,
    };
  }

  async update(eventId: string, changes: EventChanges): Promise<EventView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const maxPerHold = changes.maxPerHold === undefined ? '' : changes.maxPerHold === null ? 'none' : changes.maxPerHold;
    const reply = await this.eventScripts.run('updateEvent', eventId, [
      eventId,
      changes.name ?? '',
      maxPerHold,
      changes.sales ?? '',
      this.eventScripts.retentionMs,
      BULK_RECLAIM_BATCH,
    ]);
    if (reply.code !== ScriptCode.Ok) throw refusalOf('updateEvent', reply, { subject: 'event', id: eventId, eventId });
    return this.get(eventId);
  }

  async seatMap(eventId: string, categoryId?: string): Promise<SeatRowView[]> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const { eventScripts } = this;
    const cacheKey = `${eventId}/${categoryId ?? ''}`;
    const reply = await untilNoneDue(() =>
      eventScripts.run('seatMap', eventId, [
        eventId,
        BULK_RECLAIM_BATCH,
        eventScripts.retentionMs,
        categoryId ?? '',
        this.seatMaps.versionOf(cacheKey),
      ]),
    );
    if (reply.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    if (reply.code === ScriptCode.UnknownCategory) throw notFound('category', categoryId ?? '');
    if (reply.code === ScriptCode.Unchanged) return this.seatMaps.get(cacheKey) ?? this.seatMap(eventId, categoryId);
    const rows = seatRowsOf(reply.rest.slice(3));
    this.seatMaps.set(cacheKey, str(reply.rest[1]), rows);
    return rows;
  }
}

/** An event's counts and the last log entry they include (see Events.getAtLogPosition). */
export interface EventAtLogPosition {
  event: EventView;
  seats?: SeatRowView[];
  lastLogId: string;
}

const notFoundAsNull = (error: unknown) => {
  if (error instanceof DomainError && error.code === 'not-found') return null;
  throw error;
};

/** A member of the list index: newest first in lexical order. */
const listMember = (createdAtMs: number, eventId: string) =>
  `${String(MAX_CREATED_AT - createdAtMs).padStart(13, '0')}:${eventId}`;

function parseListCursor(after: string): string {
  const member = Buffer.from(after, 'base64url').toString();
  const [inverted, eventId] = member.split(':');
  if (!/^\d{13}$/.test(inverted ?? '') || !isEventId(eventId ?? '') || Buffer.from(member).toString('base64url') !== after) {
    throw new DomainError('invalid-request', {
      detail: 'after must be the next of an earlier page',
      errors: [{ field: 'after', message: 'is not a next of this list' }],
    });
  }
  return member;
}

/** The snapshot script's answer (lua/snapshot-1.lua) as the event's view. */
export function eventViewOf(eventId: string, reply: Reply): EventView {
  const [, , name, createdAt, maxPerHold, sales, lastLogId, count, ...flat] = reply.rest;
  const categories: CategoryView[] = [];
  const perCategory = 11;
  for (let i = 0; i < num(count) * perCategory; i += perCategory) {
    categories.push({
      categoryId: str(flat[i]),
      name: str(flat[i + 1]),
      kind: str(flat[i + 2]) === 'seated' ? 'seated' : 'general',
      sales: str(flat[i + 3]) as SalesState,
      total: num(flat[i + 4]),
      available: num(flat[i + 5]),
      held: num(flat[i + 6]),
      booked: num(flat[i + 7]),
      blocked: num(flat[i + 8]),
      waiting: num(flat[i + 9]),
      purchasable: num(flat[i + 10]),
    });
  }
  const quotas: QuotaView[] = [];
  for (let i = num(count) * perCategory; i + 3 < flat.length; i += 4) {
    const capacity = num(flat[i + 1]);
    const used = num(flat[i + 3]);
    quotas.push({ quotaId: str(flat[i]), capacity, categories: str(flat[i + 2]).split(','), used, available: capacity - used });
  }
  const sum = (field: (typeof COUNTS)[number]) => categories.reduce((s, c) => s + c[field], 0);
  return {
    eventId,
    name: str(name),
    total: sum('total'),
    available: sum('available'),
    held: sum('held'),
    booked: sum('booked'),
    blocked: sum('blocked'),
    maxPerHold: str(maxPerHold) === '' ? null : num(maxPerHold),
    sales: str(sales) as SalesState,
    createdAt: new Date(num(createdAt)),
    categories,
    quotas,
    lastLogId: str(lastLogId),
  };
}

/** The seat-map script's rows: per category, its row names, seat counts and statuses. */
function seatRowsOf(flat: Flat): SeatRowView[] {
  const rows: SeatRowView[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const categoryId = str(flat[i]);
    const names = str(flat[i + 1]).split(',');
    const sizes = str(flat[i + 2]).split(',').map(Number);
    const statuses = str(flat[i + 3]);
    let at = 0;
    names.forEach((row, k) => {
      const seats = sizes[k]!;
      rows.push({ row, categoryId, seats, status: statuses.slice(at, at + seats) });
      at += seats;
    });
  }
  return rows;
}
