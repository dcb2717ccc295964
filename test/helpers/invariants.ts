import { expect } from 'chai';
import { Redis, type Cluster } from 'ioredis';
import type { Api } from './api.js';
import { assertLogReplays, type BlockJson, type ReplayQuota } from './invariants-log.js';
import { assertStored, type Stored } from './invariants-stored.js';
import { inPool } from './pool.js';

export { scanMasters, scanNode } from './invariants-stored.js';
export type { BlockJson } from './invariants-log.js';

// The contract's invariants of one event, checked after every scenario, on one Redis or a
// Cluster, behind any number of instances.
//
// Over HTTP, what clients see:
// - per category available + held + booked + blocked == total, none negative; the event's
//   counts are the sums;
// - every quota's used == held + booked + blocked over its categories, <= its capacity,
//   available == capacity - used; each category's purchasable is its available, or less
//   when a quota holding it has less room;
// - the seat map's characters (A/H/B/X) count the same as each category's counts;
// - no seat is in two of: an active hold, a confirmed booking (over every hold the clients
//   recorded), an active block; each reads H, B or X on the map; every hold has at most
//   one booking; the active blocks hold exactly the event's blocked seats;
// - the audit log, replayed (invariants-log.ts), gives the counts, the seat map and what
//   each block holds, and no quota is over its capacity at any entry.
//
// In storage, when the test names the service's Redis (a URL, a connection or a Cluster)
// and key prefix: invariants-stored.ts (the same in the stored records, one booking per
// hold, and nobody waiting while room sits free for them).

export interface CategoryCounts {
  category_id: string;
  kind: 'general' | 'seated';
  sales: 'open' | 'paused';
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
  /** seats in active holds (tracked), in confirmed bookings (tracked), in active blocks */
  activeSeats: Set<string>;
  bookedSeats: Set<string>;
  blockedSeats: Set<string>;
  blocks: BlockJson[];
}

export interface InvariantReport extends Seen, Partial<Stored> {
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
}

/** Reads an event's active blocks, as GET /events/{id}/blocks lists them. */
export type BlockSource = (eventId: string) => Promise<BlockJson[]>;

export type InvariantOptions = {
  /**
   * Every hold of the event was made through the clients given (no waiting-list offer
   * missed): then the held/booked qty of the tracked holds must equal the counts exactly.
   */
  complete?: boolean;
  /** where the active blocks are read (default: GET /events/{id}/blocks, when the event has blocked seats or block entries) */
  blocks?: BlockSource;
  /** the quotas the event was created with (the log replay then checks them from the start) */
  quotasAtCreation?: ReplayQuota[];
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
  const seen = await assertSeen(all, eventId, options);
  const { total, available, held, booked, blocked } = seen.event as Record<string, number>;
  const report: InvariantReport = { total: total!, available: available!, held: held!, booked: booked!, blocked: blocked!, ...seen };
  if (options.redis === undefined) return report;
  if (typeof options.redis !== 'string') return { ...report, ...(await assertStored(options.redis, options.prefix, eventId)) };
  const redis = new Redis(options.redis);
  try {
    return { ...report, ...(await assertStored(redis, options.prefix, eventId)) };
  } finally {
    redis.disconnect();
  }
}

const countsText = (c: { available: number; held: number; booked: number; blocked?: number; total: number }) =>
  `${c.total}/${c.available}/${c.held}/${c.booked}/${c.blocked ?? 0}`;

/** GET /events/{id}/blocks as the operator. */
export const blocksOverHttp =
  (api: Api): BlockSource =>
  async (eventId) => {
    const response = await api.call('GET', `/events/${eventId}/blocks`, undefined, { headers: api.admin });
    expect(response.status, `GET /events/${eventId}/blocks: ${JSON.stringify(response.body)}`).to.equal(200);
    return response.body.blocks as BlockJson[];
  };

/** Reads event, seat map, log and blocks until two reads of the counts around them agree. */
async function stableRead(api: Api, eventId: string, blocksOf: BlockSource) {
  for (let attempt = 0; ; attempt++) {
    const first = await api.getEvent(eventId);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    const seats = await api.seats(eventId);
    expect(seats.status, JSON.stringify(seats.body)).to.equal(200);
    const log = await api.readLog(eventId);
    const hasBlocks = first.body.blocked > 0 || log.some((entry) => typeof entry.block_id === 'string');
    const blocks = hasBlocks ? await blocksOf(eventId) : [];
    const second = await api.getEvent(eventId);
    const tail = await api.log(eventId, log.length > 0 ? `?after=${encodeURIComponent(log.at(-1).id)}` : '');
    const same =
      JSON.stringify(first.body.categories) === JSON.stringify(second.body.categories) &&
      JSON.stringify(first.body.quotas) === JSON.stringify(second.body.quotas) &&
      countsText(first.body) === countsText(second.body) &&
      tail.body.entries.length === 0;
    if (same) return { event: second.body, rows: seats.body.rows as any[], log, blocks };
    // something moved meanwhile (an expiry falling due): read again
    if (attempt >= 20) throw new Error('the event never held still long enough to read it consistently');
  }
}

/** What clients see: counts, quotas, seat map, blocks, log and the holds the clients made agree. */
async function assertSeen(all: Api[], eventId: string, options: InvariantOptions): Promise<Seen> {
  const api = all[0]!;
  const { event, rows, log, blocks } = await stableRead(api, eventId, options.blocks ?? blocksOverHttp(api));

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

  // 2. quotas: used, available, and what each category's purchasable must be
  const room = new Map<string, number>();
  for (const quota of (event.quotas ?? []) as any[]) {
    const what = `quota ${JSON.stringify(quota)}`;
    let used = 0;
    for (const cid of quota.categories as string[]) {
      const c = categories.get(cid);
      expect(c, `${what}: over a category of the event`).to.not.equal(undefined);
      used += c!.held + c!.booked + c!.blocked;
    }
    expect(quota.used, `${what}: used == held + booked + blocked over its categories`).to.equal(used);
    expect(quota.used, `${what}: never above its capacity`).to.be.at.most(quota.capacity);
    expect(quota.available, `${what}: available == capacity - used`).to.equal(quota.capacity - quota.used);
    room.set(quota.quota_id, quota.available);
  }
  for (const c of categories.values()) {
    const rooms = ((event.quotas ?? []) as any[]).filter((q) => q.categories.includes(c.category_id)).map((q) => room.get(q.quota_id)!);
    expect(c.purchasable, `${c.category_id}: purchasable == available, or less when a quota has less room`).to.equal(
      Math.max(0, Math.min(c.available, ...rooms)),
    );
  }

  // 3. the seat map counts the same as the categories
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

  // 4. the active blocks hold exactly the blocked seats, each X on the map, none twice
  const blockedSeats = new Set<string>();
  const blockedBy = new Map<string, number>();
  for (const block of blocks) {
    const what = `block ${JSON.stringify(block)}`;
    expect(block.status, what).to.equal('active');
    const seats = block.seats ?? [];
    let seatedQty = 0;
    for (const item of block.items) {
      const category = categories.get(item.category_id);
      expect(category, `${what}: a category of the event`).to.not.equal(undefined);
      blockedBy.set(item.category_id, (blockedBy.get(item.category_id) ?? 0) + item.qty);
      if (category!.kind === 'seated') seatedQty += item.qty;
    }
    expect(seats.length, `${what}: one seat per seated place`).to.equal(seatedQty);
    for (const seat of seats) {
      expect(blockedSeats.has(seat), `seat ${seat} in two blocks`).to.equal(false);
      blockedSeats.add(seat);
      expect(seatMap.get(seat), `seat ${seat} of ${block.block_id} reads X`).to.equal('X');
    }
  }
  for (const category of categories.values()) {
    expect(blockedBy.get(category.category_id) ?? 0, `${category.category_id}: blocked == what the active blocks hold`).to.equal(
      category.blocked,
    );
  }

  // 5. the log, replayed, gives the counts, the seat map and the blocks
  assertLogReplays({
    event: { sales: event.sales, categories: [...categories.values()], quotas: event.quotas },
    seatMap,
    seatCategory,
    blocks,
    log,
    ...(options.quotasAtCreation ? { quotasAtCreation: options.quotasAtCreation } : {}),
  });

  // 6. every hold the tests made: no seat twice (nor in a block), one booking per hold, the map agrees
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
      expect(blockedSeats.has(seat), `seat ${seat} of hold ${record.holdId} is also in a block`).to.equal(false);
      (live ? activeSeats : bookedSeats).add(seat);
      expect(seatMap.get(seat), `seat ${seat} of hold ${record.holdId} (${live ? 'active' : 'booked'}) on the map`).to.equal(
        live ? 'H' : 'B',
      );
    }
  }
  for (const category of categories.values()) {
    const held = trackedHeld.get(category.category_id) ?? 0;
    const booked = trackedBooked.get(category.category_id) ?? 0;
    if (options.complete === true) {
      expect({ held, booked }, `${category.category_id}: the tracked holds make up held and booked`).to.deep.equal({
        held: category.held,
        booked: category.booked,
      });
    } else {
      expect(held, `${category.category_id}: tracked active holds never exceed held`).to.be.at.most(category.held);
      expect(booked, `${category.category_id}: tracked bookings never exceed booked`).to.be.at.most(category.booked);
    }
  }

  return { event, categories, seatMap, seatCategory, log, activeSeats, bookedSeats, blockedSeats, blocks };
}
