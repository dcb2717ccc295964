import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { decodeLines } from '../../src/domain/records.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { Api } from './api.js';
import { inPool } from './pool.js';

// The contract's invariants of one event, checked after every scenario, on one Redis or a
// Cluster, behind any number of instances.
//
// Over HTTP, what clients see:
// - per category available + held + booked + blocked == total, none negative; the event's
//   counts are the sums;
// - the seat map's characters (A, H, B, X) count the same as each category's counts;
// - every quota: used = held + booked + blocked over its categories, at most its capacity,
//   available = capacity - used; a category's purchasable is its available, or less as its
//   quotas' room says;
// - no seat is in two active holds or bookings (over every hold the clients recorded), and
//   every hold has at most one booking;
// - the audit log, replayed per category from all seats available at the event's creation
//   (from nothing for a category added later), gives the counts, and replayed per seat
//   gives the seat map; every entry moves seats that were in the state it moves them from
//   (a hold is created once, ends once, is booked at most once; a block never gives back
//   more than it holds...).
//
// In storage, when the test names the service's Redis (a URL, a connection or a Cluster:
// SCAN, which sees one node's keys, runs on every master) and key prefix:
// - the stored counts are not negative and add up (blocked included);
// - booked == the sum of the bookings' qty (no seat sold twice), one booking per hold;
// - held == the sum of the active holds' qty.

export interface CategoryCounts {
  category_id: string;
  kind: 'general' | 'seated';
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
  waiting: number;
  purchasable: number;
}

interface Seen {
  event: any;
  categories: Map<string, CategoryCounts>;
  /** seat id -> 'A' | 'H' | 'B' | 'X' */
  seatMap: Map<string, string>;
  /** seat id -> category */
  seatCategory: Map<string, string>;
  log: any[];
  /** seats in active holds (tracked), seats in confirmed bookings (tracked) */
  activeSeats: Set<string>;
  bookedSeats: Set<string>;
}

interface Stored {
  /** bookings stored for the event */
  bookings: number;
  /** the hold id of every booking of the event */
  bookedHolds: string[];
}

export interface InvariantReport extends Seen, Partial<Stored> {
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
}

export type InvariantOptions = {
  /**
   * Every hold of the event was made through the clients given (no waiting-list offer
   * missed): then the held/booked qty of the tracked holds must equal the counts exactly.
   */
  complete?: boolean;
} & (
  | { redis?: undefined; prefix?: undefined }
  /** also check the stored records: the service's Redis and key prefix */
  | { redis: Redis | Cluster | string; prefix: string }
);

export async function assertInvariants(
  clients: Api | Api[],
  eventId: string,
  options: InvariantOptions = {},
): Promise<InvariantReport> {
  const all = Array.isArray(clients) ? clients : [clients];
  const seen = await assertSeen(all, eventId, options.complete === true);
  const { total, available, held, booked, blocked } = seen.event as Record<'total' | 'available' | 'held' | 'booked' | 'blocked', number>;
  const report: InvariantReport = { total, available, held, booked, blocked, ...seen };
  if (options.redis === undefined) return report;
  if (typeof options.redis !== 'string') return { ...report, ...(await assertStored(options.redis, options.prefix, eventId)) };
  const redis = new Redis(options.redis);
  try {
    return { ...report, ...(await assertStored(redis, options.prefix, eventId)) };
  } finally {
    redis.disconnect();
  }
}

async function assertStored(client: Redis | Cluster, prefix: string, eventId: string): Promise<Stored> {
  const keys = new KeySpace(prefix).eventKeys(eventId);
  const activeQty = Object.values(await client.hgetall(keys.active)).reduce(
    (sum, lines) => sum + decodeLines(lines).reduce((s, line) => s + line.qty, 0),
    0,
  );
  const bookingKeys = await scanMasters(client, `${prefix}:{${eventId}}:booking:*`);
  const bookings = await Promise.all(bookingKeys.map((key) => client.hmget(key, 'qty', 'hold_id', 'status')));
  // a cancelled booking's seats went back on sale
  const bookedSum = bookings.reduce((sum, [qty, , status]) => sum + (status === 'cancelled' ? 0 : Number(qty)), 0);
  const bookedHolds = bookings.map(([, holdId]) => String(holdId));

  const counts = await client.hmget(keys.event, 'available', 'held', 'booked', 'total', 'blocked');
  // (an event no script has touched since version 2 has no blocked field: none blocked)
  const [rAvailable, rHeld, rBooked, rTotal, rBlocked] = counts.map(Number) as [number, number, number, number, number];
  for (const count of [rAvailable, rHeld, rBooked, rBlocked]) expect(count, 'stored counts not negative').to.be.at.least(0);
  expect(rAvailable + rHeld + rBooked + rBlocked, 'stored counts add up').to.equal(rTotal);
  expect(bookedSum, 'booked == sum of booking qty (no seat sold twice)').to.equal(rBooked);
  expect(bookedSum).to.be.at.most(rTotal);
  expect(new Set(bookedHolds).size, 'one booking per hold').to.equal(bookedHolds.length);
  expect(activeQty, 'held == sum of active holds').to.equal(rHeld);
  return { bookings: bookingKeys.length, bookedHolds };
}

/** SCAN on every master (or the one server); each key is found on exactly one. */
export async function scanMasters(client: Cluster | Redis, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const perMaster = await Promise.all(nodes.map((node) => scanNode(node, pattern)));
  return perMaster.flat();
}

export async function scanNode(node: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

const counts = (c: { available: number; held: number; booked: number; total: number; blocked: number }) =>
  `${c.total}/${c.available}/${c.held}/${c.booked}/${c.blocked}`;

type State = 'available' | 'held' | 'booked' | 'blocked';
const SEAT_CHAR: Record<State, string> = { available: 'A', held: 'H', booked: 'B', blocked: 'X' };

/**
 * The states an entry moves its seats between (the audit-log table); an entry that names a
 * block_id moves hold seats from or to the block's blocked count instead of available.
 */
function moveOf(entry: { type: string; block_id?: string }): [State, State] | undefined {
  const block: State = entry.block_id !== undefined ? 'blocked' : 'available';
  switch (entry.type) {
    case 'hold.created':
      return [block, 'held'];
    case 'hold.released':
    case 'hold.expired':
      return ['held', block];
    case 'booking.created':
      return ['held', 'booked'];
    case 'booking.cancelled':
      return ['booked', block];
    case 'seats.blocked':
      return ['available', 'blocked'];
    case 'seats.unblocked':
      return ['blocked', 'available'];
    default:
      return undefined;
  }
}

const HOLD_TYPES = ['hold.created', 'hold.released', 'hold.expired', 'hold.extended', 'booking.created', 'booking.cancelled'];
const EVENT_TYPES = ['sales.changed', 'quota.changed'];
const ENTRY_TYPES = [...HOLD_TYPES, 'seats.blocked', 'seats.unblocked', 'category.added', 'capacity.changed', ...EVENT_TYPES];

/** Reads event, seat map and log until two reads of the counts around them agree. */
async function stableRead(api: Api, eventId: string) {
  for (let attempt = 0; ; attempt++) {
    const first = await api.getEvent(eventId);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    const seats = await api.seats(eventId);
    expect(seats.status, JSON.stringify(seats.body)).to.equal(200);
    const log = await api.readLog(eventId);
    const second = await api.getEvent(eventId);
    const tail = await api.log(eventId, log.length > 0 ? `?after=${encodeURIComponent(log.at(-1).id)}` : '');
    const same =
      JSON.stringify(first.body.categories) === JSON.stringify(second.body.categories) &&
      counts(first.body) === counts(second.body) &&
      (log.length === 0 ? tail.body.entries.length === log.length : tail.body.entries.length === 0);
    if (same) return { event: second.body, rows: seats.body.rows as any[], log };
    // something moved meanwhile (an expiry falling due): read again
    if (attempt >= 20) throw new Error('the event never held still long enough to read it consistently');
  }
}

/** What clients see: counts, seat map, log and the holds the clients made agree. */
async function assertSeen(all: Api[], eventId: string, complete: boolean): Promise<Seen> {
  const api = all[0]!;
  const { event, rows, log } = await stableRead(api, eventId);

  // 1. counts add up, per category and in sum
  const categories = new Map<string, CategoryCounts>();
  const sums = { total: 0, available: 0, held: 0, booked: 0, blocked: 0 };
  expect(event.categories, 'categories').to.be.an('array').that.is.not.empty;
  for (const category of event.categories as CategoryCounts[]) {
    const what = `category ${category.category_id}: ${JSON.stringify(category)}`;
    for (const key of ['total', 'available', 'held', 'booked', 'blocked', 'waiting', 'purchasable'] as const) {
      expect(category[key], `${what} ${key}`).to.be.a('number');
      expect(category[key], `${what} ${key} not negative`).to.be.at.least(0);
    }
    expect(
      category.available + category.held + category.booked + category.blocked,
      `${what}: available + held + booked + blocked == total`,
    ).to.equal(category.total);
    expect(categories.has(category.category_id), 'category ids unique').to.equal(false);
    categories.set(category.category_id, category);
    for (const key of ['total', 'available', 'held', 'booked', 'blocked'] as const) sums[key] += category[key];
  }
  expect(
    { total: event.total, available: event.available, held: event.held, booked: event.booked, blocked: event.blocked },
    'event counts == sums over categories',
  ).to.deep.equal(sums);

  // 1b. quotas: never exceeded, used and available as their categories say; purchasable follows
  const roomOf = new Map<string, number>();
  for (const quota of (event.quotas ?? []) as { quota_id: string; capacity: number; categories: string[]; used: number; available: number }[]) {
    const what = `quota ${JSON.stringify(quota)}`;
    const used = quota.categories.reduce((sum, cid) => {
      const category = categories.get(cid);
      expect(category, `${what}: category ${cid} of the event`).to.not.equal(undefined);
      return sum + category!.held + category!.booked + category!.blocked;
    }, 0);
    expect(quota.used, `${what}: used = held + booked + blocked over its categories`).to.equal(used);
    expect(quota.used, `${what}: never above its capacity`).to.be.at.most(quota.capacity);
    expect(quota.available, `${what}: available = capacity - used`).to.equal(quota.capacity - quota.used);
    for (const cid of quota.categories) roomOf.set(cid, Math.min(roomOf.get(cid) ?? Infinity, quota.available));
  }
  for (const category of categories.values()) {
    expect(category.purchasable, `${category.category_id}: purchasable = available, or less as its quotas' room says`).to.equal(
      Math.max(0, Math.min(category.available, roomOf.get(category.category_id) ?? Infinity)),
    );
  }

  // 2. the seat map counts the same as the categories
  const seatMap = new Map<string, string>();
  const seatCategory = new Map<string, string>();
  const mapCounts = new Map<string, { A: number; H: number; B: number; X: number; seats: number }>();
  for (const row of rows) {
    const category = categories.get(row.category_id);
    expect(category, `row ${row.row} of a known category`).to.not.equal(undefined);
    expect(category!.kind, `row ${row.row} belongs to a seated category`).to.equal('seated');
    expect(row.status, `row ${row.row} status`).to.match(/^[AHBX]*$/);
    expect(row.status.length, `row ${row.row}: one character per seat`).to.equal(row.seats);
    const tally = mapCounts.get(row.category_id) ?? { A: 0, H: 0, B: 0, X: 0, seats: 0 };
    [...(row.status as string)].forEach((char, i) => {
      const seat = `${row.row}${i + 1}`;
      expect(seatMap.has(seat), `seat ${seat} listed once`).to.equal(false);
      seatMap.set(seat, char);
      seatCategory.set(seat, row.category_id);
      tally[char as 'A' | 'H' | 'B' | 'X']++;
    });
    tally.seats += row.seats;
    mapCounts.set(row.category_id, tally);
  }
  for (const category of categories.values()) {
    if (category.kind !== 'seated') {
      expect(mapCounts.has(category.category_id), `general category ${category.category_id} has no rows`).to.equal(false);
      continue;
    }
    const tally = mapCounts.get(category.category_id);
    expect(tally, `seated category ${category.category_id} has rows`).to.not.equal(undefined);
    expect(
      { total: tally!.seats, available: tally!.A, held: tally!.H, booked: tally!.B, blocked: tally!.X },
      `seat map of ${category.category_id} counts as the category does`,
    ).to.deep.equal({
      total: category.total,
      available: category.available,
      held: category.held,
      booked: category.booked,
      blocked: category.blocked,
    });
  }

  // 3. the log, replayed, gives the counts and the seat map. A category present at the
  // event's creation starts with its first capacity all available (its capacity now, less
  // every capacity change since); one added later starts from nothing at its category.added.
  const added = new Set(log.filter((entry) => entry.type === 'category.added').map((entry) => entry.category_id as string));
  const replay = new Map<string, Record<'total' | State, number>>();
  for (const category of categories.values()) {
    const changed = log
      .filter((entry) => entry.type === 'capacity.changed' && entry.category_id === category.category_id)
      .reduce((sum, entry) => sum + (entry.delta as number), 0);
    const first = added.has(category.category_id) ? 0 : category.total - changed;
    replay.set(category.category_id, { total: first, available: first, held: 0, booked: 0, blocked: 0 });
  }
  const seatReplay = new Map<string, string>();
  for (const seat of seatMap.keys()) seatReplay.set(seat, 'A');
  /** `${hold}|${category}` -> its state in the log: held, ended, booked, cancelled */
  const lifecycle = new Map<string, string>();
  const bookingOfHold = new Map<string, string>();
  /** `${block}|${category}` -> the places the block holds, as the log tells it */
  const inBlock = new Map<string, number>();
  const ids = new Set<string>();
  for (const entry of log) {
    const what = `log entry ${JSON.stringify(entry)}`;
    expect(entry.id, what).to.be.a('string');
    expect(ids.has(entry.id), `${what}: ids unique`).to.equal(false);
    ids.add(entry.id);
    expect(Number.isNaN(Date.parse(entry.at)), `${what}: at is a time`).to.equal(false);
    expect(ENTRY_TYPES, what).to.include(entry.type);
    expect(entry.qty, `${what}: qty`).to.be.a('number');
    if (HOLD_TYPES.includes(entry.type)) expect(entry.hold_id, `${what}: names its hold`).to.be.a('string');
    if (entry.type.startsWith('seats.')) expect(entry.block_id, `${what}: names its block`).to.be.a('string');
    if (EVENT_TYPES.includes(entry.type) && entry.category_id === null) continue;
    const tally = replay.get(entry.category_id);
    expect(tally, `${what}: a category of the event`).to.not.equal(undefined);
    if (EVENT_TYPES.includes(entry.type)) continue;
    if (entry.type === 'category.added') {
      expect(tally, `${what}: added before anything else happened to it`).to.deep.equal({ total: 0, available: 0, held: 0, booked: 0, blocked: 0 });
      tally!.total += entry.qty;
      tally!.available += entry.qty;
      continue;
    }
    if (entry.type === 'capacity.changed') {
      expect(Math.abs(entry.delta), `${what}: qty = |delta|`).to.equal(entry.qty);
      tally!.total += entry.delta;
      tally!.available += entry.delta;
      expect(tally!.total, `${what}: the new capacity`).to.equal(entry.capacity);
      expect(tally!.available, `${what}: a cut takes available seats only`).to.be.at.least(0);
      continue;
    }
    const move = moveOf(entry);
    if (move) {
      expect(entry.qty, `${what}: moves seats`).to.be.at.least(1);
      const [from, to] = move;
      tally![from] -= entry.qty;
      tally![to] += entry.qty;
      for (const key of ['available', 'held', 'booked', 'blocked'] as const) {
        expect(tally![key], `${what}: replayed ${key} not negative`).to.be.at.least(0);
      }
      if (entry.block_id !== undefined && (from === 'blocked' || to === 'blocked')) {
        const blockKey = `${entry.block_id}|${entry.category_id}`;
        const holds = (inBlock.get(blockKey) ?? 0) + (to === 'blocked' ? entry.qty : -entry.qty);
        expect(holds, `${what}: a block gives out no more than it holds`).to.be.at.least(0);
        inBlock.set(blockKey, holds);
      }
    }

    const key = `${entry.hold_id}|${entry.category_id}`;
    const state = lifecycle.get(key);
    switch (entry.type) {
      case 'hold.created':
        expect(state, `${what}: a hold is created once per category`).to.equal(undefined);
        lifecycle.set(key, 'held');
        break;
      case 'hold.extended':
        expect(state, `${what}: only an active hold is extended`).to.equal('held');
        expect(Number.isNaN(Date.parse(entry.expires_at)), `${what}: names the new expires_at`).to.equal(false);
        break;
      case 'hold.released':
      case 'hold.expired':
        expect(state, `${what}: ends a held hold, once`).to.equal('held');
        lifecycle.set(key, 'ended');
        break;
      case 'booking.created':
        expect(state, `${what}: books a held hold, once`).to.equal('held');
        expect(entry.booking_id, `${what}: names its booking`).to.be.a('string');
        if (bookingOfHold.has(entry.hold_id)) expect(entry.booking_id, `${what}: one booking per hold`).to.equal(bookingOfHold.get(entry.hold_id));
        bookingOfHold.set(entry.hold_id, entry.booking_id);
        lifecycle.set(key, 'booked');
        break;
      case 'booking.cancelled':
        expect(state, `${what}: cancels a booking, once`).to.equal('booked');
        expect(entry.booking_id, `${what}: names its booking`).to.equal(bookingOfHold.get(entry.hold_id));
        lifecycle.set(key, 'cancelled');
        break;
    }

    const category = categories.get(entry.category_id)!;
    if (category.kind === 'seated' && move) {
      expect(entry.seats, `${what}: a seated movement names its seats`).to.be.an('array');
      expect(entry.seats.length, `${what}: one seat per seat moved`).to.equal(entry.qty);
      const [from, to] = move.map((state) => SEAT_CHAR[state]);
      for (const seat of entry.seats as string[]) {
        expect(seatCategory.get(seat), `${what}: seat ${seat} of the category`).to.equal(entry.category_id);
        expect(seatReplay.get(seat), `${what}: seat ${seat} was ${from}`).to.equal(from);
        seatReplay.set(seat, to!);
      }
    }
  }
  for (const category of categories.values()) {
    const tally = replay.get(category.category_id)!;
    expect(tally, `log replay of ${category.category_id} == its counts`).to.deep.equal({
      total: category.total,
      available: category.available,
      held: category.held,
      booked: category.booked,
      blocked: category.blocked,
    });
  }
  for (const [seat, state] of seatMap) expect(seatReplay.get(seat), `log replay of seat ${seat} == seat map`).to.equal(state);

  // 4. every hold the tests made: no seat twice, one booking per hold, the map agrees
  const activeSeats = new Set<string>();
  const bookedSeats = new Set<string>();
  const trackedHeld = new Map<string, number>();
  const trackedBooked = new Map<string, number>();
  const records = all.flatMap((client) => [...client.holds.values()]).filter((record) => record.eventId === eventId);
  const unique = [...new Map(records.map((record) => [record.holdId, record])).values()];
  const checkedAt = Date.now();
  const views = await inPool(unique, 32, async (record) => {
    const hold = await api.getHold(record.holdId);
    expect(hold.status, JSON.stringify(hold.body)).to.equal(200);
    let booking: any;
    if (hold.body.status === 'booked') {
      expect(hold.body.booking_id, `booked hold ${record.holdId} names its booking`).to.be.a('string');
      const read = await api.getBooking(hold.body.booking_id);
      expect(read.status).to.equal(200);
      booking = read.body;
    }
    return { record, hold: hold.body, booking };
  });
  for (const { record, hold, booking } of views) {
    const mergedIds = new Set(all.flatMap((client) => [...(client.holds.get(record.holdId)?.bookingIds ?? [])]));
    expect(mergedIds.size, `hold ${record.holdId}: every /book returned one booking id`).to.be.at.most(1);
    if (mergedIds.size === 1) expect(hold.booking_id, `hold ${record.holdId} names the booking /book returned`).to.equal([...mergedIds][0]);
    const seats: string[] = hold.seats ?? [];
    const live = hold.status === 'active' && Date.parse(hold.expires_at) > checkedAt + 20;
    const confirmed = booking?.status === 'confirmed';
    if (booking) {
      expect(booking.hold_id).to.equal(record.holdId);
      expect(booking.seats ?? []).to.deep.equal(seats);
    }
    if (!live && !confirmed) continue;
    const into = live ? trackedHeld : trackedBooked;
    for (const item of hold.items as { category_id: string; qty: number }[]) {
      into.set(item.category_id, (into.get(item.category_id) ?? 0) + item.qty);
    }
    for (const seat of seats) {
      expect(activeSeats.has(seat) || bookedSeats.has(seat), `seat ${seat} in two active holds or bookings`).to.equal(false);
      (live ? activeSeats : bookedSeats).add(seat);
      expect(seatMap.get(seat), `seat ${seat} of hold ${record.holdId} (${live ? 'active' : 'booked'}) on the map`).to.equal(
        live ? 'H' : 'B',
      );
    }
  }
  for (const category of categories.values()) {
    const held = trackedHeld.get(category.category_id) ?? 0;
    const booked = trackedBooked.get(category.category_id) ?? 0;
    if (complete) {
      expect({ held, booked }, `${category.category_id}: the tracked holds make up held and booked`).to.deep.equal({
        held: category.held,
        booked: category.booked,
      });
    } else {
      expect(held, `${category.category_id}: tracked active holds never exceed held`).to.be.at.most(category.held);
      expect(booked, `${category.category_id}: tracked bookings never exceed booked`).to.be.at.most(category.booked);
    }
  }

  return { event, categories, seatMap, seatCategory, log, activeSeats, bookedSeats };
}
