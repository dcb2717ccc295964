import { ScriptCode, type Reply } from '../redis/scripts.js';
import { notFound } from './errors.js';
import { EventScripts, num, str, type DomainDeps } from './event-scripts.js';
import { isEventId, newEventId } from './ids.js';
import { BULK_RECLAIM_BATCH, untilNoneDue } from './reclaim.js';
import {
  GENERAL_CATEGORY,
  type AttemptIdentity,
  type CategoryView,
  type EventView,
  type NewEvent,
  type SeatRowView,
} from './model.js';

// Events and their categories: create one, read its counts (one consistent snapshot) and its
// seat map. Both reads give back every past-due hold first, so what they show is what a
// hold would find.

export class Events {
  private readonly eventScripts: EventScripts;

  constructor(private readonly deps: DomainDeps) {
    this.eventScripts = new EventScripts(deps);
  }

  async create(input: NewEvent, attempt: AttemptIdentity = {}): Promise<{ event: EventView; replayed: boolean }> {
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
    const reply = await this.eventScripts.raw(
      'createEvent',
      eventId,
      [eventId, input.name, input.maxPerHold ?? '', JSON.stringify(spec)],
      attempt.signal,
    );
    const replayed = reply[0] === ScriptCode.Replay;
    if (!replayed) metrics.eventsCreated.inc();
    return { event: await this.get(eventId, attempt.signal), replayed };
  }

  /** `signal`: the creating attempt's, when the read ends a create */
  async get(eventId: string, signal?: AbortSignal): Promise<EventView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const reply = await this.eventScripts.snapshot(eventId, signal);
    if (reply.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    return eventViewOf(eventId, reply);
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
    return { event: eventViewOf(eventId, snapshot), ...(seatMap ? { seats: seatRowsOf(seatMap) } : {}), lastLogId };
  }

  async seatMap(eventId: string, categoryId?: string): Promise<SeatRowView[]> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const { eventScripts } = this;
    const reply = await untilNoneDue(() =>
      eventScripts.run('seatMap', eventId, [eventId, BULK_RECLAIM_BATCH, eventScripts.retentionMs, categoryId ?? '']),
    );
    if (reply.code === ScriptCode.EventNotFound) throw notFound('event', eventId);
    if (reply.code === ScriptCode.UnknownCategory) throw notFound('category', categoryId ?? '');
    return seatRowsOf(reply);
  }
}

/** An event's counts and the last log entry they include (see Events.getAtLogPosition). */
export interface EventAtLogPosition {
  event: EventView;
  seats?: SeatRowView[];
  lastLogId: string;
}

/** The snapshot script's reply as the event's view. */
function eventViewOf(eventId: string, reply: Reply): EventView {
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

/** The seat map script's reply as rows. */
function seatRowsOf(reply: Reply): SeatRowView[] {
  const flat = reply.rest.slice(1);
  const rows: SeatRowView[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    rows.push({ row: str(flat[i]), categoryId: str(flat[i + 1]), seats: num(flat[i + 2]), status: str(flat[i + 3]) });
  }
  return rows;
}
