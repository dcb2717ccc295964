import { expect } from 'chai';
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import type { Api, ApiResponse } from '../helpers/api.js';
import { untilPast } from '../helpers/eventually.js';
import { assertStored } from '../helpers/invariants-stored.js';
import type { Operator } from '../helpers/operator.js';
import { LiveSaleModel, refused, type MBlock, type MEntry, type MHold, type Prediction, type SeatGrant } from './live-sale-model.js';

// The commands of the live-sale model test (model-live-sale.test.ts): each sends one request
// to the service, checks its answer against what the model predicts, and applies it to the
// model; compare() then reads the event back whole.

export const MAX_QTY = 6;
/** HOLD_MAX_EXTENSIONS of the instances under test */
export const EXTENSIONS = 2;
const LONG_TTL = 600;
export const QUOTA_IDS = ['q0', 'q1', 'q2'];

export interface Real {
  api: Api;
  operators: Operator[];
  turn: number;
  eventId: string;
  redis: Redis | Cluster;
  prefix: string;
  touchedHolds: Set<MHold>;
  touchedEntries: Set<MEntry>;
  touchedBlocks: Set<MBlock>;
  added: number;
}

export type Cmd = fc.AsyncCommand<LiveSaleModel, Real>;

/** The next instance's operator. */
const op = (r: Real) => r.operators[r.turn++ % r.operators.length]!;
const catAt = (m: LiveSaleModel, index: number) => m.categories[index % m.categories.length]!;
const byQuota = (list: { quota_id: string }[] = []) => [...list].sort((a, b) => a.quota_id.localeCompare(b.quota_id));

/** The response is the predicted refusal. */
function expectRefusal(response: ApiResponse, expected: { refuse: number; type?: string; extra?: Record<string, unknown> }, what: string) {
  expect(response.status, what).to.equal(expected.refuse);
  if (expected.type) expect(String(response.body.type), what).to.match(new RegExp(`${expected.type}$`));
  for (const [key, value] of Object.entries(expected.extra ?? {})) {
    if (key === 'quota_shortfall') expect(byQuota(response.body[key]), `${what}: ${key}`).to.deep.equal(byQuota(value as any));
    else if (key === 'paused') expect([...response.body[key]].sort(), `${what}: ${key}`).to.deep.equal([...(value as string[])].sort());
    else expect(response.body[key], `${what}: ${key}`).to.deep.equal(value);
  }
}

/** Seats granted as predicted: the hold's items and seats. */
function expectGrant(response: ApiResponse, expected: SeatGrant, what: string) {
  expect(response.status, what).to.equal(201);
  expect(new Map(response.body.items.map((i: any) => [i.category_id, i.qty])), `${what}: items`).to.deep.equal(expected.items);
  expect(response.body.seats ?? [], `${what}: seats`).to.deep.equal(expected.seats);
}

/** Offers the model makes now must be the service's: learn their holds, check their seats. */
async function serveAndLearn(m: LiveSaleModel, r: Real) {
  for (const entry of m.serve()) {
    const read = await r.api.entryWithOffer(entry.entryId, entry.token);
    expect(read.body.status, `entry ${entry.entryId} (${entry.category}, ${entry.qty}) offered`).to.equal('offered');
    const hold = entry.hold!;
    hold.holdId = read.body.hold_id;
    const view = (await r.api.getHold(hold.holdId)).body;
    expect(view, `offer to ${entry.entryId}`).to.include({ status: 'active', qty: entry.qty });
    expect(view.seats ?? [], `seats offered to ${entry.entryId}`).to.deep.equal(hold.seats);
    r.touchedHolds.add(hold);
    r.touchedEntries.add(entry);
  }
}

async function holdAndCheck(m: LiveSaleModel, r: Real, body: Record<string, unknown>, expected: Prediction<SeatGrant>) {
  const response = await r.api.holdSeats({ event_id: r.eventId, ttl: LONG_TTL, ...body });
  const what = `hold ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`;
  if (refused(expected)) return expectRefusal(response, expected, what);
  expectGrant(response, expected, what);
  expect(response.body.requested_qty, what).to.equal(expected.requested);
  const hold: MHold = { holdId: response.body.hold_id, token: response.body.payment_token, items: expected.items, seats: expected.seats, state: 'active' };
  m.take(hold);
  r.touchedHolds.add(hold);
}

class HoldQty implements Cmd {
  constructor(readonly c: number, readonly qty: number, readonly partial: boolean, readonly adjacent: boolean) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const c = catAt(m, this.c);
    const body: Record<string, unknown> = { category_id: c.id, qty: this.qty, partial: this.partial };
    if (c.kind === 'seated') body.adjacent = this.adjacent;
    await holdAndCheck(m, r, body, m.predictQty(c.id, this.qty, this.partial, c.kind === 'seated' ? this.adjacent : true));
  }
  toString = () => `holdQty(c${this.c}, ${this.qty}${this.partial ? ', partial' : ''}${this.adjacent ? '' : ', scattered'})`;
}

class HoldItems implements Cmd {
  constructor(readonly lines: number[]) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const lines = m.categories.map((c, i) => ({ category_id: c.id, qty: this.lines[i] ?? 0 })).filter((l) => l.qty > 0);
    if (lines.length === 0) return;
    await holdAndCheck(m, r, { items: lines }, m.predictItems(lines));
  }
  toString = () => `holdItems(${this.lines.join(', ')})`;
}

class HoldSeats implements Cmd {
  constructor(readonly picks: number[]) {}
  check = (m: Readonly<LiveSaleModel>) => m.seat.size > 0;
  async run(m: LiveSaleModel, r: Real) {
    const all = [...m.seat.keys()];
    const seats = [...new Set(this.picks.map((p) => all[p % all.length]!))];
    await holdAndCheck(m, r, { seats }, m.predictSeats(seats));
  }
  toString = () => `holdSeats(${this.picks.join(', ')})`;
}

const pickHold = (m: Readonly<LiveSaleModel>, index: number) => m.holds[index % m.holds.length]!;

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<LiveSaleModel>) => m.holds.length > 0;
  async run(m: LiveSaleModel, r: Real) {
    const hold = pickHold(m, this.index);
    r.touchedHolds.add(hold);
    const response = await r.api.release(hold.holdId, hold.token);
    const status = { active: 200, released: 200, booked: 409, expired: 410 }[hold.state];
    expect(response.status, `release ${hold.state}: ${JSON.stringify(response.body)}`).to.equal(status);
    if (hold.state !== 'active') return;
    hold.state = 'released';
    m.giveBack(hold, 'held');
    if (hold.block) r.touchedBlocks.add(hold.block);
    if (hold.entry) {
      hold.entry.state = 'left';
      r.touchedEntries.add(hold.entry);
    }
    await serveAndLearn(m, r);
  }
  toString = () => `release(#${this.index})`;
}

/**
 * An extension: to a later expires_at (900 s) while the hold has extensions left, or to an
 * earlier one (10 s), which changes nothing and uses none. A hold of any origin (public, an
 * offer, from a block) extends alike; a booked one is refused 409, an ended one 410.
 */
class Extend implements Cmd {
  constructor(readonly index: number, readonly longer: boolean) {}
  check = (m: Readonly<LiveSaleModel>) => m.holds.length > 0;
  async run(m: LiveSaleModel, r: Real) {
    const hold = pickHold(m, this.index);
    r.touchedHolds.add(hold);
    const left = EXTENSIONS - (hold.extended ?? 0);
    const before = hold.state === 'active' ? (await r.api.getHold(hold.holdId)).body.expires_at : undefined;
    const response = await r.api.extend(hold.holdId, hold.token, this.longer ? 900 : 10);
    const what = `extend ${hold.state} (${left} left): ${JSON.stringify(response.body)}`;
    if (hold.state === 'booked') return void expect(response.status, what).to.equal(409);
    if (hold.state !== 'active') return void expect(response.status, what).to.equal(410);
    if (!this.longer) {
      expect(response.status, what).to.equal(200);
      expect(response.body, what).to.include({ expires_at: before, extensions_left: left });
    } else if (left === 0) {
      expect(response.status, what).to.equal(409);
      expect(response.body.extensions_left, what).to.equal(0);
    } else {
      expect(response.status, what).to.equal(200);
      hold.extended = (hold.extended ?? 0) + 1;
      expect(response.body.extensions_left, what).to.equal(left - 1);
      expect(Date.parse(response.body.expires_at), what).to.be.greaterThan(Date.parse(before));
    }
  }
  toString = () => `extend(#${this.index}, ${this.longer ? 900 : 10})`;
}

class Book implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<LiveSaleModel>) => m.holds.length > 0;
  async run(m: LiveSaleModel, r: Real) {
    const hold = pickHold(m, this.index);
    r.touchedHolds.add(hold);
    const response = await r.api.book(hold.holdId, hold.token);
    const what = `book ${hold.state}: ${JSON.stringify(response.body)}`;
    if (hold.state === 'active') {
      expect(response.status, what).to.equal(201);
      expect(response.body.seats ?? [], what).to.deep.equal(hold.seats);
      hold.state = 'booked';
      hold.bookingId = response.body.booking_id;
      hold.bookingState = 'confirmed';
      m.move(hold.items, hold.seats, 'held', 'booked');
      if (hold.entry) {
        hold.entry.state = 'booked';
        r.touchedEntries.add(hold.entry);
      }
    } else if (hold.state === 'booked') {
      expect(response.status, what).to.equal(200);
      expect(response.body, what).to.include({ booking_id: hold.bookingId, status: hold.bookingState });
    } else {
      expect(response.status, what).to.equal(410);
    }
  }
  toString = () => `book(#${this.index})`;
}

class Cancel implements Cmd {
  constructor(readonly index: number, readonly asAdmin: boolean) {}
  check = (m: Readonly<LiveSaleModel>) => m.holds.some((h) => h.bookingId);
  async run(m: LiveSaleModel, r: Real) {
    const booked = m.holds.filter((h) => h.bookingId);
    const hold = booked[this.index % booked.length]!;
    r.touchedHolds.add(hold);
    const response = this.asAdmin ? await r.api.cancelAsAdmin(hold.bookingId!) : await r.api.cancel(hold.bookingId!, hold.token);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body.status).to.equal('cancelled');
    if (hold.bookingState === 'cancelled') return;
    hold.bookingState = 'cancelled';
    // what an entry reads after its booking is cancelled is not fixed by the contract
    if (hold.entry) hold.entry.state = 'unknown';
    m.giveBack(hold, 'booked');
    if (hold.block) r.touchedBlocks.add(hold.block);
    await serveAndLearn(m, r);
  }
  toString = () => `cancel(#${this.index}${this.asAdmin ? ', admin' : ''})`;
}

class Join implements Cmd {
  constructor(readonly c: number, readonly qty: number) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const c = catAt(m, this.c);
    const response = await r.api.join(r.eventId, { category_id: c.id, qty: this.qty, ttl: LONG_TTL });
    const what = `join ${c.id} ${this.qty}: ${JSON.stringify(response.body)}`;
    if (this.qty > MAX_QTY || this.qty > c.total) return void expect(response.status, what).to.equal(422);
    if (!m.onSale(c)) return expectRefusal(response, { refuse: 409, type: 'sales-paused' }, what);
    expect(response.status, what).to.equal(201);
    const entry = m.join(response.body.entry_id, response.body.entry_token, c.id, this.qty);
    r.touchedEntries.add(entry);
    // nobody else fits before a join (the model serves after every step): only it can be offered
    await serveAndLearn(m, r);
    expect(response.body.status, what).to.equal(entry.state);
    if (entry.state === 'waiting') expect(response.body.position, what).to.equal(m.waitingOf(c.id).length);
  }
  toString = () => `join(c${this.c}, ${this.qty})`;
}

class Leave implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<LiveSaleModel>) => m.entries.length > 0;
  async run(m: LiveSaleModel, r: Real) {
    const entry = m.entries[this.index % m.entries.length]!;
    r.touchedEntries.add(entry);
    const response = await r.api.leave(entry.entryId, entry.token);
    const what = `leave ${entry.state}: ${JSON.stringify(response.body)}`;
    switch (entry.state) {
      case 'waiting':
        expect(response.status, what).to.equal(200);
        entry.state = 'left';
        await serveAndLearn(m, r);
        break;
      case 'offered':
        expect(response.status, what).to.equal(200);
        entry.state = 'left';
        entry.hold!.state = 'released';
        r.touchedHolds.add(entry.hold!);
        m.giveBack(entry.hold!, 'held');
        await serveAndLearn(m, r);
        break;
      case 'left':
      case 'expired':
        expect(response.status, what).to.equal(200);
        expect(response.body.status).to.equal(entry.state);
        break;
      case 'booked':
        expect(response.status, what).to.equal(409);
        break;
      case 'unknown':
        break;
    }
  }
  toString = () => `leave(#${this.index})`;
}

class EventSales implements Cmd {
  constructor(readonly paused: boolean) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const sales = this.paused ? 'paused' : 'open';
    const response = await op(r).patchEvent(r.eventId, { sales });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body.sales).to.equal(sales);
    m.eventSales = sales;
    await serveAndLearn(m, r);
  }
  toString = () => `eventSales(${this.paused ? 'paused' : 'open'})`;
}

class CategorySales implements Cmd {
  constructor(readonly c: number, readonly paused: boolean) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const c = catAt(m, this.c);
    const sales = this.paused ? 'paused' : 'open';
    const response = await op(r).patchCategory(r.eventId, c.id, { sales });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body).to.include({ category_id: c.id, sales });
    c.sales = sales;
    await serveAndLearn(m, r);
  }
  toString = () => `categorySales(c${this.c}, ${this.paused ? 'paused' : 'open'})`;
}

/** A block answered 201 as predicted, or the predicted refusal; the model applies a grant. */
async function blockAndCheck(m: LiveSaleModel, r: Real, body: Record<string, unknown>, expected: Prediction<SeatGrant>) {
  const response = await op(r).block(r.eventId, body);
  const what = `block ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`;
  if (refused(expected)) return expectRefusal(response, expected, what);
  expect(response.status, what).to.equal(201);
  expect(response.body.status, what).to.equal('active');
  const block = m.block(response.body.block_id, expected);
  expect(blockItems(m, block), `${what}: items`).to.deep.equal(response.body.items);
  expect(response.body.seats ?? [], `${what}: seats`).to.deep.equal(expected.seats);
  r.touchedBlocks.add(block);
}

/** What a block holds, as its answers list it: in the event's category order. */
const blockItems = (m: LiveSaleModel, block: MBlock) =>
  m.categories.filter((c) => (block.lines.get(c.id) ?? 0) > 0).map((c) => ({ category_id: c.id, qty: block.lines.get(c.id)! }));

class BlockSeats implements Cmd {
  constructor(readonly picks: number[]) {}
  check = (m: Readonly<LiveSaleModel>) => m.seat.size > 0;
  async run(m: LiveSaleModel, r: Real) {
    const all = [...m.seat.keys()];
    const seats = [...new Set(this.picks.map((p) => all[p % all.length]!))];
    await blockAndCheck(m, r, { seats, reason: 'house' }, m.predictBlockSeats(seats));
  }
  toString = () => `blockSeats(${this.picks.join(', ')})`;
}

class BlockItems implements Cmd {
  constructor(readonly lines: number[]) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const lines = m.categories.map((c, i) => ({ category_id: c.id, qty: this.lines[i] ?? 0 })).filter((l) => l.qty > 0);
    if (lines.length === 0) return;
    await blockAndCheck(m, r, { items: lines }, m.predictBlockItems(lines));
  }
  toString = () => `blockItems(${this.lines.join(', ')})`;
}

class ReleaseBlock implements Cmd {
  constructor(readonly index: number, readonly whole: boolean, readonly picks: number[]) {}
  check = (m: Readonly<LiveSaleModel>) => m.blocks.length > 0;
  async run(m: LiveSaleModel, r: Real) {
    const block = m.blocks[this.index % m.blocks.length]!;
    r.touchedBlocks.add(block);
    let ask: { seats?: string[]; items?: { category_id: string; qty: number }[] } = {};
    if (!this.whole && block.seats.size > 0) {
      const seats = m.inRowOrder(block.seats);
      ask = { seats: [...new Set(this.picks.map((p) => seats[p % seats.length]!))] };
    } else if (!this.whole && block.status === 'active') {
      const general = blockItems(m, block).filter((item) => m.cat(item.category_id)!.kind === 'general');
      const line = general[this.picks[0]! % Math.max(1, general.length)];
      // sometimes more than the block holds: 422, nothing moves
      if (line) ask = { items: [{ category_id: line.category_id, qty: 1 + ((this.picks[1] ?? 0) % (line.qty + 1)) }] };
    }
    const expected = m.predictRelease(block, ask);
    const before = JSON.stringify(blockItems(m, block));
    const response = await op(r).releaseBlock(block.blockId, ask);
    const what = `release block ${JSON.stringify(ask)} of ${before} → ${response.status} ${JSON.stringify(response.body)}`;
    if (response.status === 503) {
      // Redis too slow (a loaded machine): the block says whether the release was made
      const now = (await op(r).getBlock(block.blockId)).body;
      if (JSON.stringify(now.items) === before && now.status === block.status) return;
    } else if (refused(expected)) {
      return expectRefusal(response, expected, what);
    } else {
      expect(response.status, what).to.equal(200);
    }
    if (refused(expected)) throw new Error(`${what}: a release that must be refused was made`);
    m.release(block, expected);
    if (response.status === 200) {
      expect(response.body.status, what).to.equal(block.status);
      expect(response.body.items, what).to.deep.equal(blockItems(m, block));
    }
    await serveAndLearn(m, r);
  }
  toString = () => `releaseBlock(#${this.index}, ${this.whole ? 'all' : `part ${this.picks.join(',')}`})`;
}

class HoldFromBlock implements Cmd {
  constructor(readonly index: number, readonly bySeats: boolean, readonly n: number, readonly stray: boolean) {}
  check = (m: Readonly<LiveSaleModel>) => m.blocks.length > 0;
  async run(m: LiveSaleModel, r: Real) {
    const block = m.blocks[this.index % m.blocks.length]!;
    const body: Record<string, unknown> = { event_id: r.eventId, block_id: block.blockId, ttl: LONG_TTL };
    let ask: { seats: string[] } | { category_id: string; qty: number };
    if (this.bySeats && (block.seats.size > 0 || this.stray)) {
      // named seats of the block, or (stray) any seats of the event: refused unless all are the block's
      const pool = this.stray || block.seats.size === 0 ? [...m.seat.keys()] : m.inRowOrder(block.seats);
      ask = { seats: [...new Set(Array.from({ length: this.n }, (_, i) => pool[(this.index + i * 7) % pool.length]!))] };
    } else {
      const held = blockItems(m, block);
      const cid = this.stray || held.length === 0 ? catAt(m, this.index).id : held[this.index % held.length]!.category_id;
      ask = { category_id: cid, qty: this.n };
    }
    Object.assign(body, ask);
    const expected = m.predictFromBlock(block, ask);
    const response = await op(r).holdFromBlock(body);
    const what = `hold from block ${JSON.stringify(ask)} of ${JSON.stringify(blockItems(m, block))} → ${response.status} ${JSON.stringify(response.body)}`;
    if (refused(expected)) return expectRefusal(response, expected, what);
    expectGrant(response, expected, what);
    expect(response.body.block_id, what).to.equal(block.blockId);
    const hold: MHold = { holdId: response.body.hold_id, token: response.body.payment_token, items: expected.items, seats: expected.seats, state: 'active', block };
    m.take(hold);
    r.touchedHolds.add(hold);
    r.touchedBlocks.add(block);
  }
  toString = () => `holdFromBlock(#${this.index}, ${this.bySeats ? 'seats' : 'qty'} ${this.n}${this.stray ? ', stray' : ''})`;
}

class Capacity implements Cmd {
  constructor(readonly c: number, readonly capacity: number) {}
  check = (m: Readonly<LiveSaleModel>) => m.categories.some((c) => c.kind === 'general');
  async run(m: LiveSaleModel, r: Real) {
    const general = m.categories.filter((c) => c.kind === 'general');
    const c = general[this.c % general.length]!;
    const response = await op(r).patchCategory(r.eventId, c.id, { capacity: this.capacity });
    const what = `capacity of ${c.id} ${c.total} → ${this.capacity} (${c.available} available): ${response.status} ${JSON.stringify(response.body)}`;
    const delta = this.capacity - c.total;
    if (delta < 0 && c.available < -delta) return expectRefusal(response, { refuse: 409, type: 'capacity-cut-refused', extra: { available: c.available } }, what);
    expect(response.status, what).to.equal(200);
    c.total += delta;
    c.available += delta;
    await serveAndLearn(m, r);
    expect(response.body, what).to.include({ total: c.total, available: c.available });
  }
  toString = () => `capacity(g${this.c}, ${this.capacity})`;
}

class AddCategory implements Cmd {
  constructor(readonly seated: boolean, readonly size: number, readonly paused: boolean, readonly existing: boolean) {}
  check = (m: Readonly<LiveSaleModel>) => m.categories.length < 7;
  async run(m: LiveSaleModel, r: Real) {
    const id = this.existing ? m.categories[this.size % m.categories.length]!.id : `n${++r.added}`;
    const letters = 'ABCDEFGHIJ';
    const rows = this.seated ? Array.from({ length: 1 + (this.size % 2) }, (_, i) => ({ row: `K${letters[r.added % 10]}${letters[i]}`, seats: 2 + (this.size % 3) })) : [];
    const body = { category_id: id, ...(this.seated ? { rows } : { capacity: this.size }), ...(this.paused ? { sales: 'paused' } : {}) };
    const response = await op(r).addCategory(r.eventId, body);
    const what = `add ${JSON.stringify(body)}: ${response.status} ${JSON.stringify(response.body)}`;
    if (this.existing) return expectRefusal(response, { refuse: 409, type: 'category-exists' }, what);
    expect(response.status, what).to.equal(201);
    const total = this.seated ? rows.reduce((s, row) => s + row.seats, 0) : this.size;
    expect(response.body, what).to.include({ category_id: id, kind: this.seated ? 'seated' : 'general', total, available: total, blocked: 0 });
    m.addCategory({ id, kind: this.seated ? 'seated' : 'general', sales: this.paused ? 'paused' : 'open', total }, rows);
  }
  toString = () => `addCategory(${this.seated ? 'seated' : 'general'}, ${this.size}${this.paused ? ', paused' : ''}${this.existing ? ', existing id' : ''})`;
}

class PutQuota implements Cmd {
  constructor(readonly q: number, readonly capacity: number, readonly members: number[]) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const qid = QUOTA_IDS[this.q % QUOTA_IDS.length]!;
    const categories = [...new Set(this.members.map((i) => catAt(m, i).id))];
    const response = await op(r).putQuota(r.eventId, qid, { capacity: this.capacity, categories });
    const what = `put quota ${qid} ${this.capacity} over ${categories}: ${response.status} ${JSON.stringify(response.body)}`;
    const used = categories.reduce((sum, cid) => sum + m.cat(cid)!.total - m.cat(cid)!.available, 0);
    if (used > this.capacity) return expectRefusal(response, { refuse: 409, type: 'quota-in-use', extra: { used } }, what);
    expect(response.status, what).to.equal(200);
    const quota = { id: qid, capacity: this.capacity, categories };
    m.quotas.set(qid, quota);
    // the answer shows the quota after the offers its room made in the same step
    await serveAndLearn(m, r);
    expect(response.body, what).to.deep.equal({ quota_id: qid, capacity: this.capacity, categories, used: m.used(quota), available: m.room(quota) });
  }
  toString = () => `putQuota(${this.q}, ${this.capacity}, ${this.members.join(',')})`;
}

/**
 * A hold with a 1 s ttl that lapses: a public one, one from a block (its seats go back to the
 * block while it is active), or the offer a joining entry gets at once (the entry ends
 * expired). Once per run: each waits for the hold's expires_at to pass; a read then gives
 * its seats back (if the expiry job has not) and serves the waiting lists.
 */
class Expire implements Cmd {
  constructor(readonly kind: number, readonly c: number, readonly qty: number) {}
  check = (m: Readonly<LiveSaleModel>) => m.expireRuns < 1;
  async run(m: LiveSaleModel, r: Real) {
    m.expireRuns++;
    const c = catAt(m, this.c);
    let hold: MHold | undefined;
    let expiresAt: string | undefined;
    const withBlock = m.blocks.find((b) => b.status === 'active' && b.lines.size > 0);
    if (this.kind === 1 && withBlock) {
      const [cid] = [...withBlock.lines.keys()];
      const ask = { category_id: cid!, qty: 1 };
      const expected = m.predictFromBlock(withBlock, ask);
      const response = await op(r).holdFromBlock({ event_id: r.eventId, block_id: withBlock.blockId, ttl: 1, ...ask });
      if (refused(expected)) return expectRefusal(response, expected, `lapsing hold from a block: ${JSON.stringify(response.body)}`);
      expectGrant(response, expected, `lapsing hold from a block: ${JSON.stringify(response.body)}`);
      hold = { holdId: response.body.hold_id, token: response.body.payment_token, items: expected.items, seats: expected.seats, state: 'active', block: withBlock };
      m.take(hold);
      expiresAt = response.body.expires_at;
    } else if (this.kind === 2) {
      // only an entry offered at once: one left waiting with a 1 s ttl would lapse unseen later
      if (!m.onSale(c) || m.waitingOf(c.id).length > 0 || m.purchasable(c) < this.qty || this.qty > c.total) return;
      const response = await r.api.join(r.eventId, { category_id: c.id, qty: this.qty, ttl: 1 });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      const entry = m.join(response.body.entry_id, response.body.entry_token, c.id, this.qty);
      await serveAndLearn(m, r);
      expect([response.body.status, entry.state], 'offered at once').to.deep.equal(['offered', 'offered']);
      hold = entry.hold!;
      expiresAt = (await r.api.getHold(hold.holdId)).body.expires_at;
    } else {
      const body: Record<string, unknown> = { event_id: r.eventId, category_id: c.id, qty: this.qty, ttl: 1 };
      if (c.kind === 'seated') body.adjacent = false;
      const expected = m.predictQty(c.id, this.qty, false, c.kind !== 'seated');
      const response = await r.api.holdSeats(body);
      const what = `lapsing hold ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`;
      if (refused(expected)) return expectRefusal(response, expected, what);
      expectGrant(response, expected, what);
      hold = { holdId: response.body.hold_id, token: response.body.payment_token, items: expected.items, seats: expected.seats, state: 'active' };
      m.take(hold);
      expiresAt = response.body.expires_at;
    }
    r.touchedHolds.add(hold);
    await untilPast(expiresAt!, 100);
    // a read gives back a past-due hold's seats before it answers (the job may have already)
    expect((await r.api.getEvent(r.eventId)).status).to.equal(200);
    hold.state = 'expired';
    m.giveBack(hold, 'held');
    if (hold.block) r.touchedBlocks.add(hold.block);
    if (hold.entry) {
      hold.entry.state = 'expired';
      r.touchedEntries.add(hold.entry);
    }
    await serveAndLearn(m, r);
  }
  toString = () => `expire(${['public', 'from a block', 'offer'][this.kind % 3]}, c${this.c}, ${this.qty})`;
}

class DeleteQuota implements Cmd {
  constructor(readonly q: number) {}
  check = () => true;
  async run(m: LiveSaleModel, r: Real) {
    const qid = QUOTA_IDS[this.q % QUOTA_IDS.length]!;
    const response = await op(r).deleteQuota(r.eventId, qid);
    expect(response.status, `delete quota ${qid}: ${JSON.stringify(response.body)}`).to.equal(m.quotas.has(qid) ? 200 : 404);
    m.quotas.delete(qid);
    await serveAndLearn(m, r);
  }
  toString = () => `deleteQuota(${this.q})`;
}

const catIndex = fc.nat(6);
export const commands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(catIndex, fc.integer({ min: 1, max: MAX_QTY + 1 }), fc.boolean(), fc.boolean()).map(([c, q, p, a]) => new HoldQty(c, q, p, a)),
  fc.tuple(catIndex, fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean()).map(([c, q, p, a]) => new HoldQty(c, q, p, a)),
  fc.array(fc.nat(3), { minLength: 2, maxLength: 4 }).map((lines) => new HoldItems(lines)),
  fc.array(fc.nat(), { minLength: 1, maxLength: 3 }).map((picks) => new HoldSeats(picks)),
  fc.nat().map((i) => new Release(i)),
  fc.nat().map((i) => new Release(i)),
  fc.nat().map((i) => new Book(i)),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, longer]) => new Extend(i, longer)),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, admin]) => new Cancel(i, admin)),
  fc.tuple(catIndex, fc.integer({ min: 1, max: 4 })).map(([c, q]) => new Join(c, q)),
  fc.tuple(catIndex, fc.integer({ min: 1, max: 2 })).map(([c, q]) => new Join(c, q)),
  fc.nat().map((i) => new Leave(i)),
  fc.boolean().map((paused) => new EventSales(paused)),
  fc.tuple(catIndex, fc.boolean()).map(([c, paused]) => new CategorySales(c, paused)),
  fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((picks) => new BlockSeats(picks)),
  fc.array(fc.nat(2), { minLength: 1, maxLength: 4 }).map((lines) => new BlockItems(lines)),
  fc.tuple(fc.nat(), fc.boolean(), fc.array(fc.nat(), { minLength: 1, maxLength: 3 })).map(([i, whole, picks]) => new ReleaseBlock(i, whole, picks)),
  fc.tuple(fc.nat(), fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([i, s, n, stray]) => new HoldFromBlock(i, s, n, stray)),
  fc.tuple(fc.nat(), fc.boolean(), fc.integer({ min: 1, max: 2 })).map(([i, s, n]) => new HoldFromBlock(i, s, n, false)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 12 })).map(([c, capacity]) => new Capacity(c, capacity)),
  fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.nat(9).map((n) => n === 0)).map(([s, size, p, e]) => new AddCategory(s, size, p, e)),
  fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 14 }), fc.array(catIndex, { minLength: 1, maxLength: 3 })).map(([q, c, cats]) => new PutQuota(q, c, cats)),
  fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 14 }), fc.array(catIndex, { minLength: 1, maxLength: 3 })).map(([q, c, cats]) => new PutQuota(q, c, cats)),
  fc.nat(2).map((q) => new DeleteQuota(q)),
  fc.tuple(fc.nat(2), catIndex, fc.integer({ min: 1, max: 2 })).map(([kind, c, qty]) => new Expire(kind, c, qty)),
];

export async function compare(m: LiveSaleModel, r: Real) {
  const event = (await r.api.getEvent(r.eventId)).body;
  expect(event.sales, 'event sales').to.equal(m.eventSales);
  const got = event.categories.map((c: any) => [c.category_id, c.kind, c.sales, c.total, c.available, c.held, c.booked, c.blocked, c.waiting, c.purchasable]);
  const want = m.categories.map((c) => [c.id, c.kind, c.sales, c.total, c.available, c.held, c.booked, c.blocked, m.waitingOf(c.id).length, m.purchasable(c)]);
  expect(got, 'per category: kind, sales, total, available, held, booked, blocked, waiting, purchasable').to.deep.equal(want);
  const quotas = [...m.quotas.values()].map((q) => ({ quota_id: q.id, capacity: q.capacity, categories: q.categories, used: m.used(q), available: m.room(q) }));
  expect(event.quotas, 'quotas').to.deep.equal(quotas);
  const rows = (await r.api.seats(r.eventId)).body.rows.map((row: any) => `${row.row}:${row.status}`);
  const wantRows = m.rows.map((row) => `${row.row}:${Array.from({ length: row.seats }, (_, i) => m.seat.get(`${row.row}${i + 1}`)).join('')}`);
  expect(rows, 'seat map').to.deep.equal(wantRows);
  const blocks = (await op(r).blocks(r.eventId)).body.blocks.map((b: any) => [b.block_id, b.items, b.seats ?? []]);
  const wantBlocks = m.blocks.filter((b) => b.status === 'active').map((b) => [b.blockId, blockItems(m, b), m.inRowOrder(b.seats)]);
  expect(blocks, 'active blocks: what each still holds').to.deep.equal(wantBlocks);
  for (const block of r.touchedBlocks) {
    const read = (await op(r).getBlock(block.blockId)).body;
    expect([read.status, read.items], `block ${block.blockId}`).to.deep.equal([block.status, blockItems(m, block)]);
  }
  for (const hold of r.touchedHolds) {
    const read = (await r.api.getHold(hold.holdId)).body;
    expect(read.status, `hold ${hold.holdId}`).to.equal(hold.state);
    expect(read.extensions_left, `hold ${hold.holdId}: extensions left`).to.equal(EXTENSIONS - (hold.extended ?? 0));
    if (hold.bookingId) expect(read.booking_id).to.equal(hold.bookingId);
  }
  for (const entry of r.touchedEntries) {
    if (entry.state === 'unknown') continue;
    const read = (await r.api.getEntry(entry.entryId)).body;
    expect(read.status, `entry ${entry.entryId}`).to.equal(entry.state);
    if (entry.state === 'waiting') expect(read.position).to.equal(m.waitingOf(entry.category).indexOf(entry) + 1);
    if (entry.hold && entry.state !== 'waiting') expect(read.hold_id, `entry ${entry.entryId}: its offer`).to.equal(entry.hold.holdId);
  }
  r.touchedHolds.clear();
  r.touchedEntries.clear();
  r.touchedBlocks.clear();
  await assertStored(r.redis, r.prefix, r.eventId);
}

