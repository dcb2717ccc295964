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
// - per category available + held + booked == total, none negative; the event's counts
//   are the sums;
// - the seat map's characters count the same as each category's counts;
// - no seat is in two active holds or bookings (over every hold the clients recorded), and
//   every hold has at most one booking;
// - the audit log, replayed per category from all seats available, gives the counts, and
//   replayed per seat gives the seat map; every entry moves seats that were in the state
//   it moves them from (a hold is created once, ends once, is booked at most once...).
//
// In storage, when the test names the service's Redis (a URL, a connection or a Cluster:
// SCAN, which sees one node's keys, runs on every master) and key prefix:
// - the stored counts are not negative and add up;
// - booked == the sum of the bookings' qty (no seat sold twice), one booking per hold;
// - held == the sum of the active holds' qty.

export interface CategoryCounts {
  category_id: string;
  kind: 'general' | 'seated';
  total: number;
  available: number;
  held: number;
  booked: number;
  waiting: number;
}

interface Seen {
  event: any;
  categories: Map<string, CategoryCounts>;
  /** seat id -> 'A' | 'H' | 'B' */
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
  const { total, available, held, booked } = seen.event as { total: number; available: number; held: number; booked: number };
  const report: InvariantReport = { total, available, held, booked, ...seen };
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

  const counts = await client.hmget(keys.event, 'available', 'held', 'booked', 'total');
  const [rAvailable, rHeld, rBooked, rTotal] = counts.map(Number) as [number, number, number, number];
  for (const count of [rAvailable, rHeld, rBooked]) expect(count, 'stored counts not negative').to.be.at.least(0);
  expect(rAvailable + rHeld + rBooked, 'stored counts add up').to.equal(rTotal);
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

const counts = (c: { available: number; held: number; booked: number; total: number }) =>
  `${c.total}/${c.available}/${c.held}/${c.booked}`;

const DELTAS: Record<string, [number, number, number]> = {
  'hold.created': [-1, 1, 0],
  'hold.released': [1, -1, 0],
  'hold.expired': [1, -1, 0],
  'booking.created': [0, -1, 1],
  'booking.cancelled': [1, 0, -1],
  'hold.extended': [0, 0, 0],
};

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
  const sums = { total: 0, available: 0, held: 0, booked: 0 };
  expect(event.categories, 'categories').to.be.an('array').that.is.not.empty;
  for (const category of event.categories as CategoryCounts[]) {
    const what = `category ${category.category_id}: ${JSON.stringify(category)}`;
    for (const key of ['total', 'available', 'held', 'booked', 'waiting'] as const) {
      expect(category[key], `${what} ${key}`).to.be.a('number');
      expect(category[key], `${what} ${key} not negative`).to.be.at.least(0);
    }
    expect(category.available + category.held + category.booked, `${what}: available + held + booked == total`).to.equal(
      category.total,
    );
    expect(categories.has(category.category_id), 'category ids unique').to.equal(false);
    categories.set(category.category_id, category);
    for (const key of ['total', 'available', 'held', 'booked'] as const) sums[key] += category[key];
  }
  expect(
    { total: event.total, available: event.available, held: event.held, booked: event.booked },
    'event counts == sums over categories',
  ).to.deep.equal(sums);

  // 2. the seat map counts the same as the categories
  const seatMap = new Map<string, string>();
  const seatCategory = new Map<string, string>();
  const mapCounts = new Map<string, { A: number; H: number; B: number; seats: number }>();
  for (const row of rows) {
    const category = categories.get(row.category_id);
    expect(category, `row ${row.row} of a known category`).to.not.equal(undefined);
    expect(category!.kind, `row ${row.row} belongs to a seated category`).to.equal('seated');
    expect(row.status, `row ${row.row} status`).to.match(/^[AHB]*$/);
    expect(row.status.length, `row ${row.row}: one character per seat`).to.equal(row.seats);
    const tally = mapCounts.get(row.category_id) ?? { A: 0, H: 0, B: 0, seats: 0 };
    [...(row.status as string)].forEach((char, i) => {
      const seat = `${row.row}${i + 1}`;
      expect(seatMap.has(seat), `seat ${seat} listed once`).to.equal(false);
      seatMap.set(seat, char);
      seatCategory.set(seat, row.category_id);
      tally[char as 'A' | 'H' | 'B']++;
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
      { total: tally!.seats, available: tally!.A, held: tally!.H, booked: tally!.B },
      `seat map of ${category.category_id} counts as the category does`,
    ).to.deep.equal({ total: category.total, available: category.available, held: category.held, booked: category.booked });
  }

  // 3. the log, replayed, gives the counts and the seat map
  const replay = new Map<string, { available: number; held: number; booked: number }>();
  for (const category of categories.values()) replay.set(category.category_id, { available: category.total, held: 0, booked: 0 });
  const seatReplay = new Map<string, string>();
  for (const seat of seatMap.keys()) seatReplay.set(seat, 'A');
  /** `${hold}|${category}` -> its state in the log: held, ended, booked, cancelled */
  const lifecycle = new Map<string, string>();
  const bookingOfHold = new Map<string, string>();
  const ids = new Set<string>();
  for (const entry of log) {
    const what = `log entry ${JSON.stringify(entry)}`;
    expect(entry.id, what).to.be.a('string');
    expect(ids.has(entry.id), `${what}: ids unique`).to.equal(false);
    ids.add(entry.id);
    expect(Number.isNaN(Date.parse(entry.at)), `${what}: at is a time`).to.equal(false);
    expect(Object.keys(DELTAS), what).to.include(entry.type);
    expect(entry.hold_id, `${what}: names its hold`).to.be.a('string');
    expect(entry.qty, `${what}: qty`).to.be.a('number');
    const tally = replay.get(entry.category_id);
    expect(tally, `${what}: a category of the event`).to.not.equal(undefined);
    const [dA, dH, dB] = DELTAS[entry.type]!;
    if (entry.type !== 'hold.extended') expect(entry.qty, `${what}: moves seats`).to.be.at.least(1);
    tally!.available += dA * entry.qty;
    tally!.held += dH * entry.qty;
    tally!.booked += dB * entry.qty;
    for (const key of ['available', 'held', 'booked'] as const) expect(tally![key], `${what}: replayed ${key} not negative`).to.be.at.least(0);

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
    if (category.kind === 'seated' && entry.type !== 'hold.extended') {
      expect(entry.seats, `${what}: a seated movement names its seats`).to.be.an('array');
      expect(entry.seats.length, `${what}: one seat per seat moved`).to.equal(entry.qty);
      const [from, to] = {
        'hold.created': ['A', 'H'],
        'hold.released': ['H', 'A'],
        'hold.expired': ['H', 'A'],
        'booking.created': ['H', 'B'],
        'booking.cancelled': ['B', 'A'],
      }[entry.type as 'hold.created']!;
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
      available: category.available,
      held: category.held,
      booked: category.booked,
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
