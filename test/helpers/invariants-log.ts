import { expect } from 'chai';

// Replays an event's audit log as the contract's table says, and checks that it ends where
// the event is: every category's counts (categories added later from nothing, capacity
// changes moving available and total), every seat of the seat map, what every block still
// holds, the sales states and quotas the log changed. On the way, every entry must move
// seats that were in the state it moves them from, each hold must go through its life once
// (created, then ended or booked, then perhaps cancelled), and after every entry no quota in
// force is above its capacity (invariant 9 at every step of the log, not just at the end).

export type SeatState = 'available' | 'held' | 'booked' | 'blocked';
const STATES: SeatState[] = ['available', 'held', 'booked', 'blocked'];
export const SEAT_CHAR: Record<SeatState, string> = { available: 'A', held: 'H', booked: 'B', blocked: 'X' };

export interface ReplayCategory {
  category_id: string;
  kind: 'general' | 'seated';
  sales?: 'open' | 'paused';
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
}

export interface ReplayQuota {
  quota_id: string;
  capacity: number;
  categories: string[];
}

/** A block as GET /blocks/{id} shows it: what it still holds. */
export interface BlockJson {
  block_id: string;
  status: 'active' | 'released';
  items: { category_id: string; qty: number }[];
  seats?: string[];
}

export interface ReplayInput {
  event: { sales?: 'open' | 'paused'; categories: ReplayCategory[]; quotas?: ReplayQuota[] };
  /** seat id -> its character on the map now, and its category */
  seatMap: Map<string, string>;
  seatCategory: Map<string, string>;
  /** the event's active blocks now; undefined: not read (no block check) */
  blocks?: BlockJson[];
  log: any[];
  /** the quotas the event was created with, when the test knows them (else: those the log never changes) */
  quotasAtCreation?: ReplayQuota[];
}

/** Where each entry type moves its seats: [from, to], the block's side when it names a block_id. */
function moveOf(entry: any): [SeatState, SeatState] | null {
  const viaBlock = typeof entry.block_id === 'string';
  switch (entry.type) {
    case 'hold.created':
      return [viaBlock ? 'blocked' : 'available', 'held'];
    case 'hold.released':
    case 'hold.expired':
      return ['held', viaBlock ? 'blocked' : 'available'];
    case 'booking.created':
      return ['held', 'booked'];
    case 'booking.cancelled':
      return ['booked', viaBlock ? 'blocked' : 'available'];
    case 'seats.blocked':
      return ['available', 'blocked'];
    case 'seats.unblocked':
      return ['blocked', 'available'];
    default:
      return null;
  }
}

const KNOWN_TYPES = new Set([
  'hold.created',
  'hold.released',
  'hold.expired',
  'hold.extended',
  'booking.created',
  'booking.cancelled',
  'seats.blocked',
  'seats.unblocked',
  'category.added',
  'capacity.changed',
  'sales.changed',
  'quota.changed',
]);

interface BlockTally {
  qty: Map<string, number>;
  seats: Set<string>;
}

export function assertLogReplays(input: ReplayInput): void {
  const { event, seatMap, seatCategory, log } = input;
  const categories = new Map(event.categories.map((c) => [c.category_id, c]));

  // Where each category starts: from nothing when the log adds it, else all available at
  // the creation's total (today's total less every capacity change).
  const added = new Set(log.filter((e) => e.type === 'category.added').map((e) => e.category_id as string));
  const replay = new Map<string, Record<SeatState | 'total', number>>();
  for (const c of event.categories) {
    if (added.has(c.category_id)) continue;
    const changes = log.filter((e) => e.type === 'capacity.changed' && e.category_id === c.category_id);
    const total = c.total - changes.reduce((sum, e) => sum + Number(e.delta), 0);
    replay.set(c.category_id, { total, available: total, held: 0, booked: 0, blocked: 0 });
  }
  const seatReplay = new Map<string, string>();
  for (const [seat, cid] of seatCategory) if (!added.has(cid)) seatReplay.set(seat, 'A');

  const quotaIdsChanged = new Set(log.filter((e) => e.type === 'quota.changed').map((e) => e.quota_id as string));
  const quotas = new Map<string, ReplayQuota>();
  for (const q of input.quotasAtCreation ?? (event.quotas ?? []).filter((q) => !quotaIdsChanged.has(q.quota_id))) {
    quotas.set(q.quota_id, { quota_id: q.quota_id, capacity: q.capacity, categories: [...q.categories] });
  }
  let eventSales: string | undefined;
  const categorySales = new Map<string, string>();

  const lifecycle = new Map<string, string>();
  const blockOfHold = new Map<string, string | undefined>();
  const bookingOfHold = new Map<string, string>();
  const blocks = new Map<string, BlockTally>();
  const ids = new Set<string>();
  let lastId: bigint[] | undefined;

  const quotasOver = (cid: string, what: string) => {
    for (const q of quotas.values()) {
      if (!q.categories.includes(cid)) continue;
      let used = 0;
      for (const member of q.categories) {
        const tally = replay.get(member);
        if (tally) used += tally.total - tally.available;
      }
      expect(used, `${what}: quota ${q.quota_id} (capacity ${q.capacity}) replayed in use`).to.be.at.most(q.capacity);
    }
  };

  for (const entry of log) {
    const what = `log entry ${JSON.stringify(entry)}`;
    expect(entry.id, what).to.be.a('string');
    expect(ids.has(entry.id), `${what}: ids unique`).to.equal(false);
    ids.add(entry.id);
    const order = String(entry.id).split('-').map((part) => BigInt(part));
    if (lastId) {
      const grows = order[0]! > lastId[0]! || (order[0] === lastId[0] && (order[1] ?? 0n) > (lastId[1] ?? 0n));
      expect(grows, `${what}: ids grow`).to.equal(true);
    }
    lastId = order;
    expect(Number.isNaN(Date.parse(entry.at)), `${what}: at is a time`).to.equal(false);
    expect(KNOWN_TYPES.has(entry.type), `${what}: a known type`).to.equal(true);
    expect(entry.qty, `${what}: qty`).to.be.a('number');

    if (entry.type === 'sales.changed') {
      expect(['open', 'paused'], what).to.include(entry.sales);
      if (entry.category_id === null) eventSales = entry.sales;
      else {
        expect(replay.has(entry.category_id), `${what}: a category of the event`).to.equal(true);
        categorySales.set(entry.category_id, entry.sales);
      }
      continue;
    }
    if (entry.type === 'quota.changed') {
      expect(entry.category_id, what).to.equal(null);
      expect(entry.quota_id, what).to.be.a('string');
      if (entry.removed === true) {
        expect(quotas.has(entry.quota_id) || input.quotasAtCreation === undefined, `${what}: removes a quota in force`).to.equal(true);
        quotas.delete(entry.quota_id);
      } else {
        expect(entry.capacity, what).to.be.a('number');
        expect(entry.categories, what).to.be.an('array').that.is.not.empty;
        for (const cid of entry.categories) expect(replay.has(cid), `${what}: quota over a category of the event`).to.equal(true);
        quotas.set(entry.quota_id, { quota_id: entry.quota_id, capacity: entry.capacity, categories: [...entry.categories] });
        for (const cid of entry.categories) quotasOver(cid, what);
      }
      continue;
    }

    const cid = entry.category_id as string;
    if (entry.type === 'category.added') {
      expect(replay.has(cid), `${what}: a category is added once, before any entry of it`).to.equal(false);
      const now = categories.get(cid);
      expect(now, `${what}: the event has the category`).to.not.equal(undefined);
      expect(entry.kind, `${what}: kind`).to.equal(now!.kind);
      expect(entry.qty, `${what}: adds seats`).to.be.at.least(1);
      replay.set(cid, { total: entry.qty, available: entry.qty, held: 0, booked: 0, blocked: 0 });
      if (entry.sales !== undefined) categorySales.set(cid, entry.sales);
      if (now!.kind === 'seated') {
        const seats = [...seatCategory].filter(([, c]) => c === cid).map(([seat]) => seat);
        expect(seats.length, `${what}: qty == the seats of its rows`).to.equal(entry.qty);
        for (const seat of seats) seatReplay.set(seat, 'A');
      }
      continue;
    }
    const tally = replay.get(cid);
    expect(tally, `${what}: a category of the event, added before`).to.not.equal(undefined);

    if (entry.type === 'capacity.changed') {
      expect(categories.get(cid)!.kind, `${what}: of a general category`).to.equal('general');
      expect(entry.delta, `${what}: delta`).to.be.a('number').and.not.equal(0);
      expect(entry.qty, `${what}: qty == |delta|`).to.equal(Math.abs(entry.delta));
      tally!.total += entry.delta;
      tally!.available += entry.delta;
      expect(tally!.available, `${what}: a cut takes available seats only`).to.be.at.least(0);
      expect(entry.capacity, `${what}: the new capacity`).to.equal(tally!.total);
      quotasOver(cid, what);
      continue;
    }

    expect(entry.hold_id ?? entry.block_id, `${what}: names its hold or block`).to.be.a('string');
    const move = moveOf(entry);
    if (entry.type !== 'hold.extended') expect(entry.qty, `${what}: moves seats`).to.be.at.least(1);
    if (move) {
      const [from, to] = move;
      tally![from] -= entry.qty;
      tally![to] += entry.qty;
      for (const state of STATES) expect(tally![state], `${what}: replayed ${state} not negative`).to.be.at.least(0);
      if (from === 'available') quotasOver(cid, what);
    }
    lifecycleStep(entry, what, { lifecycle, blockOfHold, bookingOfHold });

    const category = categories.get(cid)!;
    const seats: string[] | undefined = entry.seats;
    if (move && category.kind === 'seated') {
      expect(seats, `${what}: a seated movement names its seats`).to.be.an('array');
      expect(seats!.length, `${what}: one seat per seat moved`).to.equal(entry.qty);
      for (const seat of seats!) {
        expect(seatCategory.get(seat), `${what}: seat ${seat} of the category`).to.equal(cid);
        expect(seatReplay.get(seat), `${what}: seat ${seat} was ${move[0]}`).to.equal(SEAT_CHAR[move[0]]);
        seatReplay.set(seat, SEAT_CHAR[move[1]]);
      }
    }
    if (move && typeof entry.block_id === 'string') {
      const block = blocks.get(entry.block_id) ?? { qty: new Map(), seats: new Set<string>() };
      blocks.set(entry.block_id, block);
      const sign = move[1] === 'blocked' ? 1 : -1;
      block.qty.set(cid, (block.qty.get(cid) ?? 0) + sign * entry.qty);
      expect(block.qty.get(cid), `${what}: block ${entry.block_id} never holds fewer than none of ${cid}`).to.be.at.least(0);
      for (const seat of seats ?? []) {
        if (sign > 0) block.seats.add(seat);
        else {
          expect(block.seats.has(seat), `${what}: seat ${seat} was in block ${entry.block_id}`).to.equal(true);
          block.seats.delete(seat);
        }
      }
    }
  }

  // The end of the log is where the event is.
  for (const c of event.categories) {
    const tally = replay.get(c.category_id);
    expect(tally, `category ${c.category_id} appears in the log's replay`).to.not.equal(undefined);
    expect(tally, `log replay of ${c.category_id} == its counts`).to.deep.equal({
      total: c.total,
      available: c.available,
      held: c.held,
      booked: c.booked,
      blocked: c.blocked,
    });
    if (categorySales.has(c.category_id) && c.sales) {
      expect(c.sales, `${c.category_id}: sales as the log's last sales.changed`).to.equal(categorySales.get(c.category_id));
    }
  }
  if (eventSales !== undefined && event.sales) expect(event.sales, "the event's sales as the log's last sales.changed").to.equal(eventSales);
  for (const [seat, state] of seatMap) expect(seatReplay.get(seat), `log replay of seat ${seat} == seat map`).to.equal(state);
  const shownQuotas = new Map((event.quotas ?? []).map((q) => [q.quota_id, q]));
  for (const qid of quotaIdsChanged) {
    const replayed = quotas.get(qid);
    const shown = shownQuotas.get(qid);
    expect(shown === undefined, `quota ${qid}: removed in the log iff gone from the event`).to.equal(replayed === undefined);
    if (replayed && shown) {
      expect({ capacity: shown.capacity, categories: shown.categories }, `quota ${qid} as its last quota.changed`).to.deep.equal({
        capacity: replayed.capacity,
        categories: replayed.categories,
      });
    }
  }

  if (input.blocks) {
    const active = new Map(input.blocks.map((b) => [b.block_id, b]));
    for (const [blockId, tally] of blocks) {
      const shown = active.get(blockId);
      const replayedItems = [...tally.qty].filter(([, qty]) => qty > 0);
      if (!shown) {
        expect(replayedItems, `block ${blockId} is not active: the log leaves nothing in it`).to.deep.equal([]);
        continue;
      }
      expect(
        new Map(replayedItems),
        `block ${blockId}: what the log leaves in it == what it holds`,
      ).to.deep.equal(new Map(shown.items.map((item) => [item.category_id, item.qty])));
      expect([...tally.seats].sort(), `block ${blockId}: seats the log leaves in it`).to.deep.equal([...(shown.seats ?? [])].sort());
    }
    for (const block of input.blocks) {
      const held = block.items.reduce((sum, item) => sum + item.qty, 0);
      if (held > 0) expect(blocks.has(block.block_id), `active block ${block.block_id} holding seats has log entries`).to.equal(true);
    }
  }
}

/** A hold's life per category: created once, then extended, ended or booked once, a booking cancelled once. */
function lifecycleStep(
  entry: any,
  what: string,
  state: { lifecycle: Map<string, string>; blockOfHold: Map<string, string | undefined>; bookingOfHold: Map<string, string> },
): void {
  if (entry.type === 'seats.blocked' || entry.type === 'seats.unblocked') {
    expect(entry.block_id, `${what}: names its block`).to.be.a('string');
    expect(entry.hold_id, `${what}: names no hold`).to.equal(undefined);
    return;
  }
  expect(entry.hold_id, `${what}: names its hold`).to.be.a('string');
  const key = `${entry.hold_id}|${entry.category_id}`;
  const now = state.lifecycle.get(key);
  switch (entry.type) {
    case 'hold.created':
      expect(now, `${what}: a hold is created once per category`).to.equal(undefined);
      state.lifecycle.set(key, 'held');
      state.blockOfHold.set(entry.hold_id, entry.block_id);
      break;
    case 'hold.extended':
      expect(now, `${what}: only an active hold is extended`).to.equal('held');
      expect(Number.isNaN(Date.parse(entry.expires_at)), `${what}: names the new expires_at`).to.equal(false);
      break;
    case 'hold.released':
    case 'hold.expired':
      expect(now, `${what}: ends a held hold, once`).to.equal('held');
      if (entry.block_id !== undefined) {
        expect(entry.block_id, `${what}: goes back to the block it came from`).to.equal(state.blockOfHold.get(entry.hold_id));
      }
      state.lifecycle.set(key, 'ended');
      break;
    case 'booking.created':
      expect(now, `${what}: books a held hold, once`).to.equal('held');
      expect(entry.booking_id, `${what}: names its booking`).to.be.a('string');
      if (state.bookingOfHold.has(entry.hold_id)) {
        expect(entry.booking_id, `${what}: one booking per hold`).to.equal(state.bookingOfHold.get(entry.hold_id));
      }
      state.bookingOfHold.set(entry.hold_id, entry.booking_id);
      state.lifecycle.set(key, 'booked');
      break;
    case 'booking.cancelled':
      expect(now, `${what}: cancels a booking, once`).to.equal('booked');
      expect(entry.booking_id, `${what}: names its booking`).to.equal(state.bookingOfHold.get(entry.hold_id));
      if (entry.block_id !== undefined) {
        expect(entry.block_id, `${what}: goes back to the block it came from`).to.equal(state.blockOfHold.get(entry.hold_id));
      }
      state.lifecycle.set(key, 'cancelled');
      break;
  }
}
