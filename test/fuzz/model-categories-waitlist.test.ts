import { expect } from 'chai';
import fc from 'fast-check';
import { Api, type ApiResponse, type RequestOptions } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { randomPrefix, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../helpers/service.js';

// Model-based, over categories, seats and the waiting list: generated sequences of every operation — holds by qty (best
// available with the contract's choice rule), by items and by named seats, release, book,
// extend, cancel, expiry by a short ttl, waiting-list join and leave — run against the real
// service and against an in-memory model of the contract. After every step the counts,
// the waiting counts, the seat map, and every touched hold and entry must read as the
// model says; after every run the invariants (log replay included) must hold.
//
// Every hold but the expiring ones lives 600 s; an expiry waits for the worker to flip the
// stored status, at most once per run, so runs stay short.

const RUNS = 30;
/** on a Cluster, fewer: the same commands, spread over three instances */
const CLUSTER_RUNS = 10;
const MAX_COMMANDS = 30;
const MAX_QTY = 6;
const LONG_TTL = 600;
const EXTENSIONS = 3;

type HoldState = 'active' | 'booked' | 'released' | 'expired';
type EntryState = 'waiting' | 'offered' | 'booked' | 'expired' | 'left' | 'unknown';

interface MHold {
  holdId: string;
  token: string;
  items: Map<string, number>;
  seats: string[];
  state: HoldState;
  extensionsLeft: number;
  bookingId?: string;
  bookingState?: 'confirmed' | 'cancelled';
  entry?: MEntry;
}

interface MEntry {
  entryId: string;
  token: string;
  category: string;
  qty: number;
  state: EntryState;
  hold?: MHold;
}

interface MRow {
  row: string;
  seats: number;
  category: string;
}

interface Model {
  categories: { id: string; kind: 'general' | 'seated'; total: number }[];
  available: Map<string, number>;
  held: Map<string, number>;
  booked: Map<string, number>;
  rows: MRow[];
  /** seat -> A | H | B */
  seat: Map<string, string>;
  holds: MHold[];
  entries: MEntry[];
  expireRuns: number;
}

interface Real {
  api: Api;
  eventId: string;
  touchedHolds: Set<MHold>;
  touchedEntries: Set<MEntry>;
}

type Cmd = fc.AsyncCommand<Model, Real>;

const add = (map: Map<string, number>, key: string, delta: number) => map.set(key, (map.get(key) ?? 0) + delta);
const kindOf = (m: Model, category: string) => m.categories.find((c) => c.id === category)!.kind;
const rowIndex = (m: Model, seat: string) => m.rows.findIndex((r) => r.row === seat.replace(/\d+$/, ''));
const numberOf = (seat: string) => Number(/(\d+)$/.exec(seat)![1]);
const inRowOrder = (m: Model, seats: string[]) =>
  [...seats].sort((a, b) => rowIndex(m, a) - rowIndex(m, b) || numberOf(a) - numberOf(b));
const waitingOf = (m: Model, category: string) => m.entries.filter((e) => e.category === category && e.state === 'waiting');

/** The contract's best available, adjacent: first row with a run of q; in it the run closest to the middle, ties lower. */
function adjacentRun(m: Model, category: string, q: number): string[] | null {
  for (const row of m.rows.filter((r) => r.category === category)) {
    const middle = (row.seats + 1) / 2;
    let best: number | null = null;
    for (let start = 1; start + q - 1 <= row.seats; start++) {
      let free = true;
      for (let n = start; n < start + q; n++) if (m.seat.get(`${row.row}${n}`) !== 'A') free = false;
      if (!free) continue;
      const distance = Math.abs(start + (q - 1) / 2 - middle);
      if (best === null || distance < Math.abs(best + (q - 1) / 2 - middle)) best = start;
    }
    if (best !== null) return Array.from({ length: q }, (_, i) => `${row.row}${best! + i}`);
  }
  return null;
}

/** adjacent: false: row by row, best first; in each row the free seats closest to its middle, ties lower. */
function scattered(m: Model, category: string, q: number): string[] {
  const taken: string[] = [];
  for (const row of m.rows.filter((r) => r.category === category)) {
    const middle = (row.seats + 1) / 2;
    const free = Array.from({ length: row.seats }, (_, i) => i + 1)
      .filter((n) => m.seat.get(`${row.row}${n}`) === 'A')
      .sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle) || a - b);
    for (const n of free) if (taken.length < q) taken.push(`${row.row}${n}`);
  }
  return taken;
}

/** The seats an items line or an offer takes: a run when there is one, else scattered. */
const lineSeats = (m: Model, category: string, q: number) => adjacentRun(m, category, q) ?? scattered(m, category, q);

function take(m: Model, hold: MHold) {
  for (const [category, qty] of hold.items) {
    add(m.available, category, -qty);
    add(m.held, category, qty);
  }
  for (const seat of hold.seats) m.seat.set(seat, 'H');
}

/** Seats of a hold or booking go back; then every category they came from serves its list. */
function giveBack(m: Model, hold: MHold, from: 'held' | 'booked') {
  for (const [category, qty] of hold.items) {
    add(m.available, category, qty);
    add(from === 'held' ? m.held : m.booked, category, -qty);
  }
  for (const seat of hold.seats) m.seat.set(seat, 'A');
}

/** Offers, strictly in order, while the first waiting entry fits. Returns the entries offered. */
function serve(m: Model, category: string): MEntry[] {
  const offered: MEntry[] = [];
  for (;;) {
    const first = waitingOf(m, category)[0];
    if (!first || first.qty > m.available.get(category)!) return offered;
    const seats = kindOf(m, category) === 'seated' ? inRowOrder(m, lineSeats(m, category, first.qty)) : [];
    const hold: MHold = {
      holdId: '',
      token: first.token,
      items: new Map([[category, first.qty]]),
      seats,
      state: 'active',
      extensionsLeft: EXTENSIONS,
      entry: first,
    };
    take(m, hold);
    first.state = 'offered';
    first.hold = hold;
    m.holds.push(hold);
    offered.push(first);
  }
}

/** After seats came back: learn the offered holds' ids from the service, check their seats. */
let offersSeen = 0;
async function learnOffers(m: Model, r: Real, entries: MEntry[]) {
  for (const entry of entries) {
    offersSeen++;
    const read = await r.api.entryWithOffer(entry.entryId, entry.token);
    expect(read.body.status, `entry ${entry.entryId} offered`).to.equal('offered');
    const hold = entry.hold!;
    hold.holdId = read.body.hold_id;
    const view = (await r.api.getHold(hold.holdId)).body;
    expect(view).to.include({ status: 'active', qty: entry.qty });
    expect(view.seats ?? [], `seats offered to ${entry.entryId}`).to.deep.equal(hold.seats);
    r.touchedHolds.add(hold);
    r.touchedEntries.add(entry);
  }
}

async function endHold(m: Model, r: Real, hold: MHold, how: 'released' | 'expired') {
  hold.state = how;
  giveBack(m, hold, 'held');
  if (hold.entry) {
    hold.entry.state = how === 'released' ? 'left' : 'expired';
    r.touchedEntries.add(hold.entry);
  }
  const offers = [...hold.items.keys()].flatMap((category) => serve(m, category));
  await learnOffers(m, r, offers);
}

/** What POST /holds must answer by the model; a granted hold is applied to it. */
async function holdAndCheck(
  m: Model,
  r: Real,
  body: Record<string, unknown>,
  predict: () => { items: Map<string, number>; seats: string[]; requested: number } | { refuse: 409; available?: number; waitlist?: boolean } | { refuse: 422 },
): Promise<MHold | null> {
  const expected = predict();
  const response = await r.api.holdSeats({ event_id: r.eventId, ...body });
  const what = `hold ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`;
  if ('refuse' in expected) {
    expect(response.status, what).to.equal(expected.refuse);
    if (expected.refuse === 409 && expected.waitlist) expect(response.body.type, what).to.match(/waitlist-first$/);
    if (expected.refuse === 409 && 'available' in expected && expected.available !== undefined) {
      expect(response.body.available, what).to.equal(expected.available);
    }
    return null;
  }
  expect(response.status, what).to.equal(201);
  const qty = [...expected.items.values()].reduce((s, q) => s + q, 0);
  expect(response.body, what).to.include({ qty, requested_qty: expected.requested, status: 'active' });
  expect(new Map(response.body.items.map((i: any) => [i.category_id, i.qty])), what).to.deep.equal(expected.items);
  expect(response.body.seats ?? [], what).to.deep.equal(expected.seats);
  expect(response.body.extensions_left).to.equal(EXTENSIONS);
  const hold: MHold = {
    holdId: response.body.hold_id,
    token: response.body.payment_token,
    items: expected.items,
    seats: expected.seats,
    state: 'active',
    extensionsLeft: EXTENSIONS,
  };
  take(m, hold);
  m.holds.push(hold);
  r.touchedHolds.add(hold);
  return hold;
}

function predictQty(m: Model, category: string, qty: number, partial: boolean, adjacent: boolean) {
  return () => {
    if (qty > MAX_QTY) return { refuse: 422 as const };
    const available = m.available.get(category)!;
    const seated = kindOf(m, category) === 'seated';
    let seats: string[] = [];
    let granted = 0;
    if (!seated) granted = available >= qty ? qty : partial ? available : 0;
    else if (adjacent) {
      const run = adjacentRun(m, category, qty);
      if (run) seats = run;
      else if (partial) seats = scattered(m, category, qty);
      granted = seats.length;
    } else {
      if (available >= qty || partial) seats = scattered(m, category, qty);
      granted = seats.length;
    }
    const waiting = waitingOf(m, category).length > 0;
    // short anyway while entries wait: either 409 (not enough, or waitlist-first) will do
    if (granted === 0) return { refuse: 409 as const, available: available < qty && !waiting ? available : undefined };
    if (waiting) return { refuse: 409 as const, waitlist: true };
    return { items: new Map([[category, granted]]), seats: inRowOrder(m, seats), requested: qty };
  };
}

class HoldQty implements Cmd {
  constructor(readonly category: number, readonly qty: number, readonly partial: boolean, readonly adjacent: boolean | undefined) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const category = m.categories[this.category % m.categories.length]!;
    const body: Record<string, unknown> = { category_id: category.id, qty: this.qty, ttl: LONG_TTL, partial: this.partial };
    // adjacent belongs to seated categories
    if (this.adjacent !== undefined && category.kind === 'seated') body.adjacent = this.adjacent;
    await holdAndCheck(m, r, body, predictQty(m, category.id, this.qty, this.partial, this.adjacent ?? true));
  }
  toString = () => `holdQty(c${this.category}, ${this.qty}${this.partial ? ', partial' : ''}${this.adjacent === false ? ', scattered' : ''})`;
}

class HoldItems implements Cmd {
  constructor(readonly lines: number[]) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const lines = m.categories.map((c, i) => ({ category_id: c.id, qty: this.lines[i] ?? 0 })).filter((l) => l.qty > 0);
    if (lines.length === 0) return;
    await holdAndCheck(m, r, { items: lines, ttl: LONG_TTL }, () => {
      const total = lines.reduce((s, l) => s + l.qty, 0);
      if (total > MAX_QTY) return { refuse: 422 as const };
      if (lines.some((l) => m.available.get(l.category_id)! < l.qty)) return { refuse: 409 as const };
      if (lines.some((l) => waitingOf(m, l.category_id).length > 0)) return { refuse: 409 as const, waitlist: true };
      const seats = lines.flatMap((l) => (kindOf(m, l.category_id) === 'seated' ? lineSeats(m, l.category_id, l.qty) : []));
      return { items: new Map(lines.map((l) => [l.category_id, l.qty])), seats: inRowOrder(m, seats), requested: total };
    });
  }
  toString = () => `holdItems(${this.lines.join(', ')})`;
}

class HoldSeats implements Cmd {
  constructor(readonly picks: number[]) {}
  check = (m: Readonly<Model>) => m.seat.size > 0;
  async run(m: Model, r: Real) {
    const all = [...m.seat.keys()];
    const seats = [...new Set(this.picks.map((p) => all[p % all.length]!))];
    await holdAndCheck(m, r, { seats, ttl: LONG_TTL }, () => {
      if (seats.length > MAX_QTY) return { refuse: 422 as const };
      if (seats.some((s) => m.seat.get(s) !== 'A')) return { refuse: 409 as const };
      const items = new Map<string, number>();
      for (const seat of seats) add(items, m.rows[rowIndex(m, seat)]!.category, 1);
      if ([...items.keys()].some((c) => waitingOf(m, c).length > 0)) return { refuse: 409 as const, waitlist: true };
      return { items, seats: inRowOrder(m, seats), requested: seats.length };
    });
  }
  toString = () => `holdSeats(${this.picks.join(', ')})`;
}

const pickHold = (m: Readonly<Model>, index: number) => m.holds[index % m.holds.length]!;

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const hold = pickHold(m, this.index);
    r.touchedHolds.add(hold);
    const response = await r.api.release(hold.holdId, hold.token);
    const what = `release ${hold.state}: ${JSON.stringify(response.body)}`;
    const status = { active: 200, released: 200, booked: 409, expired: 410 }[hold.state];
    expect(response.status, what).to.equal(status);
    if (hold.state === 'active') await endHold(m, r, hold, 'released');
  }
  toString = () => `release(#${this.index})`;
}

class Book implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const hold = pickHold(m, this.index);
    r.touchedHolds.add(hold);
    const response = await r.api.book(hold.holdId, hold.token);
    const what = `book ${hold.state}: ${JSON.stringify(response.body)}`;
    if (hold.state === 'active') {
      expect(response.status, what).to.equal(201);
      expect(response.body.seats ?? []).to.deep.equal(hold.seats);
      hold.state = 'booked';
      hold.bookingId = response.body.booking_id;
      hold.bookingState = 'confirmed';
      for (const [category, qty] of hold.items) {
        add(m.held, category, -qty);
        add(m.booked, category, qty);
      }
      for (const seat of hold.seats) m.seat.set(seat, 'B');
      if (hold.entry) {
        hold.entry.state = 'booked';
        r.touchedEntries.add(hold.entry);
      }
    } else if (hold.state === 'booked') {
      expect(response.status, what).to.equal(200);
      expect(response.body).to.include({ booking_id: hold.bookingId, status: hold.bookingState });
    } else {
      expect(response.status, what).to.equal(410);
    }
  }
  toString = () => `book(#${this.index})`;
}

class Extend implements Cmd {
  constructor(readonly index: number, readonly longer: boolean) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const hold = pickHold(m, this.index);
    r.touchedHolds.add(hold);
    const before = hold.state === 'active' ? (await r.api.getHold(hold.holdId)).body.expires_at : undefined;
    const response = await r.api.extend(hold.holdId, hold.token, this.longer ? 900 : 10);
    const what = `extend ${hold.state} (${hold.extensionsLeft} left): ${JSON.stringify(response.body)}`;
    if (hold.state === 'booked') return void expect(response.status, what).to.equal(409);
    if (hold.state !== 'active') return void expect(response.status, what).to.equal(410);
    if (!this.longer) {
      expect(response.status, what).to.equal(200);
      expect(response.body).to.include({ expires_at: before, extensions_left: hold.extensionsLeft });
    } else if (hold.extensionsLeft === 0) {
      expect(response.status, what).to.equal(409);
      expect(response.body.extensions_left).to.equal(0);
    } else {
      expect(response.status, what).to.equal(200);
      hold.extensionsLeft--;
      expect(response.body.extensions_left).to.equal(hold.extensionsLeft);
      expect(Date.parse(response.body.expires_at)).to.be.greaterThan(Date.parse(before));
    }
  }
  toString = () => `extend(#${this.index}, ${this.longer ? 900 : 10})`;
}

class Cancel implements Cmd {
  constructor(readonly index: number, readonly asAdmin: boolean) {}
  check = (m: Readonly<Model>) => m.holds.some((h) => h.bookingId);
  async run(m: Model, r: Real) {
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
    giveBack(m, hold, 'booked');
    await learnOffers(m, r, [...hold.items.keys()].flatMap((category) => serve(m, category)));
  }
  toString = () => `cancel(#${this.index}${this.asAdmin ? ', admin' : ''})`;
}

class Expire implements Cmd {
  constructor(readonly category: number, readonly qty: number) {}
  check = (m: Readonly<Model>) => m.expireRuns < 1;
  async run(m: Model, r: Real) {
    m.expireRuns++;
    const category = m.categories[this.category % m.categories.length]!;
    const hold = await holdAndCheck(
      m,
      r,
      { category_id: category.id, qty: this.qty, ttl: 1, ...(category.kind === 'seated' ? { adjacent: false } : {}) },
      predictQty(m, category.id, this.qty, false, false),
    );
    if (!hold) return;
    await eventually(async () => (await r.api.getHold(hold.holdId)).body.status === 'expired', { timeoutMs: 10_000, intervalMs: 25 });
    await endHold(m, r, hold, 'expired');
  }
  toString = () => `expire(c${this.category}, ${this.qty})`;
}

class Join implements Cmd {
  constructor(readonly category: number, readonly qty: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const category = m.categories[this.category % m.categories.length]!;
    const response = await r.api.join(r.eventId, { category_id: category.id, qty: this.qty, ttl: LONG_TTL });
    const what = `join ${category.id} ${this.qty}: ${JSON.stringify(response.body)}`;
    if (this.qty > MAX_QTY || this.qty > category.total) return void expect(response.status, what).to.equal(422);
    expect(response.status, what).to.equal(201);
    const entry: MEntry = { entryId: response.body.entry_id, token: response.body.entry_token, category: category.id, qty: this.qty, state: 'waiting' };
    m.entries.push(entry);
    r.touchedEntries.add(entry);
    const offers = serve(m, category.id);
    expect(response.body.status, what).to.equal(offers.length > 0 ? 'offered' : 'waiting');
    if (offers.length === 0) expect(response.body.position, what).to.equal(waitingOf(m, category.id).length);
    await learnOffers(m, r, offers);
  }
  toString = () => `join(c${this.category}, ${this.qty})`;
}

class Leave implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.entries.length > 0;
  async run(m: Model, r: Real) {
    const entry = m.entries[this.index % m.entries.length]!;
    r.touchedEntries.add(entry);
    const response = await r.api.leave(entry.entryId, entry.token);
    const what = `leave ${entry.state}: ${JSON.stringify(response.body)}`;
    switch (entry.state) {
      case 'waiting':
        expect(response.status, what).to.equal(200);
        entry.state = 'left';
        await learnOffers(m, r, serve(m, entry.category));
        break;
      case 'offered':
        expect(response.status, what).to.equal(200);
        r.touchedHolds.add(entry.hold!);
        await endHold(m, r, entry.hold!, 'released');
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

const commands: fc.Arbitrary<Cmd>[] = [
  fc
    .tuple(fc.nat(1), fc.integer({ min: 1, max: MAX_QTY + 1 }), fc.boolean(), fc.option(fc.boolean(), { nil: undefined }))
    .map(([c, q, p, a]) => new HoldQty(c, q, p, a)),
  fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([c, q, p]) => new HoldQty(c, q, p, undefined)),
  fc.array(fc.nat(3), { minLength: 2, maxLength: 2 }).map((lines) => new HoldItems(lines)),
  fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((picks) => new HoldSeats(picks)),
  fc.nat().map((i) => new Release(i)),
  fc.nat().map((i) => new Book(i)),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, longer]) => new Extend(i, longer)),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, admin]) => new Cancel(i, admin)),
  fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 2 })).map(([c, q]) => new Expire(c, q)),
  fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 4 })).map(([c, q]) => new Join(c, q)),
  // joins of a seat or two, twice as likely: offers happen often
  fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 2 })).map(([c, q]) => new Join(c, q)),
  fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 2 })).map(([c, q]) => new Join(c, q)),
  fc.nat().map((i) => new Leave(i)),
];

const eventShape = fc.record({
  capacity: fc.integer({ min: 2, max: 8 }),
  rows: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 1, maxLength: 3 }),
});

/** Each request to the next of several instances, in turn. */
class RoundRobin extends Api {
  private turn = 0;
  constructor(private readonly apis: Api[]) {
    super(apis[0]!.baseUrl, undefined, TEST_ADMIN_TOKEN);
  }
  override request(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse> {
    const api = this.apis[this.turn++ % this.apis.length]!;
    return api.request(method, path, body, options);
  }
}

function modelSuite(backend: 'single' | 'cluster') {
  const RUNS_HERE = backend === 'cluster' ? CLUSTER_RUNS : RUNS;
  const where = backend === 'cluster' ? 'three instances on a 3-master Redis Cluster' : 'one instance';
  describe(`model-based (${where}): categories, seats, items, extension, cancellation, waiting list, audit log`, function () {
    this.timeout(120_000);
    let apps: TestService[] = [];
    let cluster: RedisCluster | undefined;
    let steps = 0;
    let runs = 0;
    const seen = new Map<string, number>();

    before(async function () {
      this.timeout(60_000);
      const env: Record<string, string> = {
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        MAX_QTY_PER_HOLD: String(MAX_QTY),
        HOLD_MAX_EXTENSIONS: String(EXTENSIONS),
        KEY_PREFIX: randomPrefix(),
      };
      if (backend === 'cluster') {
        cluster = await startRedisCluster({ masters: 3 });
        env.REDIS_CLUSTER_NODES = cluster.nodes;
      }
      apps = await Promise.all((backend === 'cluster' ? [0, 1, 2] : [0]).map(() => startTestService(env)));
    });
    after(async () => {
      await Promise.all(apps.map((app) => app.stop()));
      await cluster?.stop();
    });

    async function compare(m: Model, r: Real) {
      const event = (await r.api.getEvent(r.eventId)).body;
      const got = event.categories.map((c: any) => [c.category_id, c.available, c.held, c.booked, c.waiting]);
      const want = m.categories.map((c) => [c.id, m.available.get(c.id), m.held.get(c.id), m.booked.get(c.id), waitingOf(m, c.id).length]);
      expect(got, 'per category: available, held, booked, waiting').to.deep.equal(want);
      const rows = (await r.api.seats(r.eventId)).body.rows.map((row: any) => row.status);
      const wantRows = m.rows.map((row) => Array.from({ length: row.seats }, (_, i) => m.seat.get(`${row.row}${i + 1}`)).join(''));
      expect(rows, 'seat map').to.deep.equal(wantRows);
      for (const hold of r.touchedHolds) {
        const read = (await r.api.getHold(hold.holdId)).body;
        expect(read.status, `hold ${hold.holdId}`).to.equal(hold.state);
        expect(read.extensions_left).to.equal(hold.extensionsLeft);
        if (hold.bookingId) expect(read.booking_id).to.equal(hold.bookingId);
      }
      for (const entry of r.touchedEntries) {
        if (entry.state === 'unknown') continue;
        const read = (await r.api.getEntry(entry.entryId)).body;
        expect(read.status, `entry ${entry.entryId}`).to.equal(entry.state);
        if (entry.state === 'waiting') expect(read.position).to.equal(waitingOf(m, entry.category).indexOf(entry) + 1);
        if (entry.hold && entry.state !== 'waiting') expect(read.hold_id).to.equal(entry.hold.holdId);
      }
      r.touchedHolds.clear();
      r.touchedEntries.clear();
      steps++;
    }

    it(`${RUNS_HERE} runs of up to ${MAX_COMMANDS} commands match the model step by step; the log replays to the counts`, async () => {
      await fc.assert(
        fc.asyncProperty(eventShape, fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (shape, cmds) => {
          runs++;
          const rowNames = ['A', 'B', 'C'];
          const rows: MRow[] = shape.rows.map((seats, i) => ({ row: rowNames[i]!, seats, category: 'st' }));
          // A client of its own per run (its own record of holds), over every instance in turn.
          const api = new RoundRobin(apps.map((app) => app.api));
          const eventId = await api.event([
            { category_id: 'ga', capacity: shape.capacity },
            { category_id: 'st', rows: rows.map(({ row, seats }) => ({ row, seats })) },
          ]);
          const seated = rows.reduce((s, r) => s + r.seats, 0);
          const model: Model = {
            categories: [
              { id: 'ga', kind: 'general', total: shape.capacity },
              { id: 'st', kind: 'seated', total: seated },
            ],
            available: new Map([['ga', shape.capacity], ['st', seated]]),
            held: new Map([['ga', 0], ['st', 0]]),
            booked: new Map([['ga', 0], ['st', 0]]),
            rows,
            seat: new Map(rows.flatMap((r) => Array.from({ length: r.seats }, (_, i) => [`${r.row}${i + 1}`, 'A'] as [string, string]))),
            holds: [],
            entries: [],
            expireRuns: 0,
          };
          const real: Real = { api, eventId, touchedHolds: new Set(), touchedEntries: new Set() };
          const checked = [...cmds].map((command): Cmd => ({
            check: (m) => command.check(m),
            run: async (m, r) => {
              await command.run(m, r);
              const name = command.toString().split('(')[0]!;
              seen.set(name, (seen.get(name) ?? 0) + 1);
              await compare(m, r);
            },
            toString: () => command.toString(),
          }));
          await fc.asyncModelRun(async () => ({ model, real }), checked);
          await assertInvariants(api, eventId, { complete: true });
        }),
        { numRuns: RUNS_HERE, interruptAfterTimeLimit: 90_000 },
      );
      console.log(`      categories model (${backend}): ${runs} runs, ${steps} steps, ${offersSeen} waiting-list offers so far; ${[...seen].map(([k, v]) => `${k} ${v}`).join(', ')}`);
      expect(runs).to.be.at.least(RUNS_HERE);
    });
  });
}

modelSuite('single');
modelSuite('cluster');

