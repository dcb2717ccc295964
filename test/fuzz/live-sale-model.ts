// An in-memory model of one event as the contract describes a live sale: categories
// (general and seated) with four seat states, the sales state of the event and of each
// category, quotas, blocks, holds (public, offered to a waiting entry, or from a block),
// bookings and waiting lists. It says what each request must answer and what it does; the
// model test (model-live-sale.test.ts) runs the same requests against the service and
// compares. No I/O here.

export type SeatChar = 'A' | 'H' | 'B' | 'X';
export type Sales = 'open' | 'paused';
type State = 'available' | 'held' | 'booked' | 'blocked';
const CHAR: Record<State, SeatChar> = { available: 'A', held: 'H', booked: 'B', blocked: 'X' };

export interface MCategory {
  id: string;
  kind: 'general' | 'seated';
  sales: Sales;
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
}

export interface MRow {
  row: string;
  seats: number;
  category: string;
}

export interface MQuota {
  id: string;
  capacity: number;
  categories: string[];
}

export interface MBlock {
  blockId: string;
  status: 'active' | 'released';
  lines: Map<string, number>;
  seats: Set<string>;
}

export type HoldState = 'active' | 'booked' | 'released' | 'expired';
export type EntryState = 'waiting' | 'offered' | 'booked' | 'expired' | 'left' | 'unknown';

export interface MHold {
  holdId: string;
  token: string;
  items: Map<string, number>;
  seats: string[];
  state: HoldState;
  bookingId?: string;
  bookingState?: 'confirmed' | 'cancelled';
  entry?: MEntry;
  block?: MBlock;
  /** extensions it has used (it may make HOLD_MAX_EXTENSIONS) */
  extended?: number;
}

export interface MEntry {
  entryId: string;
  token: string;
  category: string;
  qty: number;
  /** join order over the whole event */
  seq: number;
  state: EntryState;
  hold?: MHold;
}

/** What a request must answer: a refusal (status, problem type end, extra members), or a grant. */
export interface Refusal {
  refuse: number;
  type?: string;
  extra?: Record<string, unknown>;
}
export interface SeatGrant {
  items: Map<string, number>;
  seats: string[];
  requested: number;
}
export type Prediction<T> = Refusal | T;
export const refused = <T>(p: Prediction<T>): p is Refusal => typeof p === 'object' && p !== null && 'refuse' in p;

const numberOf = (seat: string) => Number(/(\d+)$/.exec(seat)![1]);
const rowOf = (seat: string) => seat.replace(/\d+$/, '');
const add = (map: Map<string, number>, key: string, delta: number) => map.set(key, (map.get(key) ?? 0) + delta);

export class LiveSaleModel {
  eventSales: Sales = 'open';
  categories: MCategory[] = [];
  rows: MRow[] = [];
  seat = new Map<string, SeatChar>();
  quotas = new Map<string, MQuota>();
  holds: MHold[] = [];
  entries: MEntry[] = [];
  blocks: MBlock[] = [];
  /** holds let lapse so far (each costs a second of waiting) */
  expireRuns = 0;
  private joined = 0;

  constructor(readonly maxQty: number) {}

  cat = (id: string) => this.categories.find((c) => c.id === id);
  onSale = (c: MCategory) => this.eventSales === 'open' && c.sales === 'open';
  quotasOf = (cid: string) => [...this.quotas.values()].filter((q) => q.categories.includes(cid));
  used = (q: MQuota) => q.categories.reduce((sum, cid) => sum + this.cat(cid)!.total - this.cat(cid)!.available, 0);
  room = (q: MQuota) => q.capacity - this.used(q);
  purchasable = (c: MCategory) => Math.max(0, Math.min(c.available, ...this.quotasOf(c.id).map(this.room)));
  waitingOf = (cid: string) => this.entries.filter((e) => e.category === cid && e.state === 'waiting');
  rowIndex = (seat: string) => this.rows.findIndex((r) => r.row === rowOf(seat));
  inRowOrder = (seats: Iterable<string>) => [...seats].sort((a, b) => this.rowIndex(a) - this.rowIndex(b) || numberOf(a) - numberOf(b));
  categoryOfSeat = (seat: string) => this.rows[this.rowIndex(seat)]?.category;

  addCategory(c: Omit<MCategory, 'available' | 'held' | 'booked' | 'blocked'>, rows: { row: string; seats: number }[] = []) {
    this.categories.push({ ...c, available: c.total, held: 0, booked: 0, blocked: 0 });
    for (const r of rows) {
      this.rows.push({ ...r, category: c.id });
      for (let n = 1; n <= r.seats; n++) this.seat.set(`${r.row}${n}`, 'A');
    }
  }

  /** Quotas short for taking `need` (seats per category) out of sale: [{quota_id, requested, available}]. */
  quotaShortfall(need: Map<string, number>) {
    const short = [];
    for (const q of this.quotas.values()) {
      const requested = q.categories.reduce((sum, cid) => sum + (need.get(cid) ?? 0), 0);
      if (requested > 0 && requested > this.room(q)) short.push({ quota_id: q.id, requested, available: Math.max(0, this.room(q)) });
    }
    return short;
  }

  // Best available, as the contract says it.
  adjacentRun(cid: string, q: number): string[] | null {
    for (const row of this.rows.filter((r) => r.category === cid)) {
      const middle = (row.seats + 1) / 2;
      let best: number | null = null;
      for (let start = 1; start + q - 1 <= row.seats; start++) {
        let free = true;
        for (let n = start; n < start + q; n++) if (this.seat.get(`${row.row}${n}`) !== 'A') free = false;
        if (!free) continue;
        const distance = Math.abs(start + (q - 1) / 2 - middle);
        if (best === null || distance < Math.abs(best + (q - 1) / 2 - middle)) best = start;
      }
      if (best !== null) return Array.from({ length: q }, (_, i) => `${row.row}${best! + i}`);
    }
    return null;
  }

  scattered(cid: string, q: number): string[] {
    const taken: string[] = [];
    for (const row of this.rows.filter((r) => r.category === cid)) {
      const middle = (row.seats + 1) / 2;
      const free = Array.from({ length: row.seats }, (_, i) => i + 1)
        .filter((n) => this.seat.get(`${row.row}${n}`) === 'A')
        .sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle) || a - b);
      for (const n of free) if (taken.length < q) taken.push(`${row.row}${n}`);
    }
    return taken;
  }

  /** The service's pick: 'adjacent' (a run or nothing), 'scattered', 'prefer' (a run, else scattered). */
  pick(cid: string, q: number, mode: 'adjacent' | 'scattered' | 'prefer', allowFewer: boolean): string[] {
    if (mode !== 'scattered') {
      const run = this.adjacentRun(cid, q);
      if (run) return this.inRowOrder(run);
      if (mode === 'adjacent') return [];
    }
    if (this.cat(cid)!.available < q && !allowFewer) return [];
    return this.inRowOrder(this.scattered(cid, q));
  }

  /** Moves lines of seats between states. */
  move(items: Map<string, number>, seats: Iterable<string>, from: State, to: State) {
    for (const [cid, qty] of items) {
      const c = this.cat(cid)!;
      c[from] -= qty;
      c[to] += qty;
    }
    for (const seat of seats) this.seat.set(seat, CHAR[to]);
  }

  private pausedOf(cids: string[]) {
    const paused = [...new Set(cids)].filter((cid) => !this.onSale(this.cat(cid)!));
    return paused.length > 0 ? { refuse: 409, type: 'sales-paused', extra: { paused } } : null;
  }

  private waitlistOf(cids: string[]) {
    return cids.some((cid) => this.waitingOf(cid).length > 0) ? { refuse: 409, type: 'waitlist-first' } : null;
  }

  predictQty(cid: string, qty: number, partial: boolean, adjacent: boolean): Prediction<SeatGrant> {
    if (qty > this.maxQty) return { refuse: 422 };
    const c = this.cat(cid)!;
    const before = this.pausedOf([cid]) ?? this.waitlistOf([cid]);
    if (before) return before;
    const canTake = this.purchasable(c);
    if (canTake < qty && (!partial || canTake === 0)) {
      const short = this.quotaShortfall(new Map([[cid, qty]]));
      return {
        refuse: 409,
        type: short.length > 0 ? 'quota-exceeded' : 'not-enough-seats',
        extra: { available: canTake, ...(short.length > 0 ? { quota_shortfall: short } : {}) },
      };
    }
    const lineQty = Math.min(qty, canTake);
    if (c.kind === 'general') return { items: new Map([[cid, lineQty]]), seats: [], requested: qty };
    const mode = adjacent && lineQty === qty ? (partial ? 'prefer' : 'adjacent') : 'scattered';
    const seats = this.pick(cid, lineQty, mode, partial);
    if (seats.length === 0) return { refuse: 409, type: 'no-adjacent-seats', extra: { available: c.available } };
    return { items: new Map([[cid, seats.length]]), seats, requested: qty };
  }

  predictItems(lines: { category_id: string; qty: number }[]): Prediction<SeatGrant> {
    const total = lines.reduce((s, l) => s + l.qty, 0);
    if (total > this.maxQty) return { refuse: 422 };
    const cids = lines.map((l) => l.category_id);
    const before = this.pausedOf(cids) ?? this.waitlistOf(cids);
    if (before) return before;
    // past the public rules, items are taken as a block takes them
    const grant = this.predictBlockItems(lines);
    return refused(grant) ? grant : { ...grant, requested: total };
  }

  /** Named seats (each a seat of the event). */
  predictSeats(seats: string[]): Prediction<SeatGrant> {
    if (seats.length > this.maxQty) return { refuse: 422 };
    const cids = seats.map((s) => this.categoryOfSeat(s)!);
    const before = this.pausedOf(cids) ?? this.waitlistOf(cids);
    if (before) return before;
    const taken = seats.filter((s) => this.seat.get(s) !== 'A');
    if (taken.length > 0) return { refuse: 409, type: 'seats-unavailable', extra: { unavailable: this.inRowOrder(taken) } };
    const items = new Map<string, number>();
    for (const cid of cids) add(items, cid, 1);
    const quotaShort = this.quotaShortfall(items);
    if (quotaShort.length > 0) return { refuse: 409, type: 'quota-exceeded', extra: { quota_shortfall: quotaShort } };
    return { items, seats: this.inRowOrder(seats), requested: seats.length };
  }

  predictBlockSeats(seats: string[]): Prediction<SeatGrant> {
    const taken = seats.filter((s) => this.seat.get(s) !== 'A');
    if (taken.length > 0) return { refuse: 409, type: 'seats-unavailable', extra: { unavailable: this.inRowOrder(taken) } };
    const items = new Map<string, number>();
    for (const seat of this.inRowOrder(seats)) add(items, this.categoryOfSeat(seat)!, 1);
    const quotaShort = this.quotaShortfall(items);
    if (quotaShort.length > 0) return { refuse: 409, type: 'quota-exceeded', extra: { quota_shortfall: quotaShort } };
    return { items, seats: this.inRowOrder(seats), requested: seats.length };
  }

  predictBlockItems(lines: { category_id: string; qty: number }[]): Prediction<SeatGrant> {
    const short = lines
      .filter((l) => this.cat(l.category_id)!.available < l.qty)
      .map((l) => ({ category_id: l.category_id, requested: l.qty, available: this.cat(l.category_id)!.available }));
    const quotaShort = this.quotaShortfall(new Map(lines.map((l) => [l.category_id, l.qty])));
    if (short.length > 0 || quotaShort.length > 0) {
      return {
        refuse: 409,
        type: short.length > 0 ? 'not-enough-seats' : 'quota-exceeded',
        extra: { ...(short.length > 0 ? { shortfall: short } : {}), ...(quotaShort.length > 0 ? { quota_shortfall: quotaShort } : {}) },
      };
    }
    const seats = lines.flatMap((l) => (this.cat(l.category_id)!.kind === 'seated' ? this.pick(l.category_id, l.qty, 'prefer', false) : []));
    return { items: new Map(lines.map((l) => [l.category_id, l.qty])), seats: this.inRowOrder(seats), requested: 0 };
  }

  /** A hold from a block: its named seats, or qty of one of its categories (seated: its first seats in row order). */
  predictFromBlock(block: MBlock, ask: { seats: string[] } | { category_id: string; qty: number }): Prediction<SeatGrant> {
    if ('seats' in ask) {
      const missing = ask.seats.filter((s) => !block.seats.has(s));
      if (missing.length > 0) return { refuse: 409, type: 'seats-unavailable', extra: { unavailable: this.inRowOrder(missing) } };
      const items = new Map<string, number>();
      for (const seat of this.inRowOrder(ask.seats)) add(items, this.categoryOfSeat(seat)!, 1);
      return { items, seats: this.inRowOrder(ask.seats), requested: ask.seats.length };
    }
    const inBlock = block.lines.get(ask.category_id) ?? 0;
    if (inBlock < ask.qty) return { refuse: 409, type: 'not-enough-seats', extra: { available: inBlock } };
    const seats =
      this.cat(ask.category_id)!.kind === 'seated'
        ? this.inRowOrder([...block.seats].filter((s) => this.categoryOfSeat(s) === ask.category_id)).slice(0, ask.qty)
        : [];
    return { items: new Map([[ask.category_id, ask.qty]]), seats, requested: ask.qty };
  }

  /** A granted hold takes its seats (from its block, or from sale). */
  take(hold: MHold) {
    this.move(hold.items, hold.seats, hold.block ? 'blocked' : 'available', 'held');
    if (hold.block) this.blockTake(hold.block, hold.items, hold.seats);
    this.holds.push(hold);
  }

  block(blockId: string, grant: SeatGrant): MBlock {
    this.move(grant.items, grant.seats, 'available', 'blocked');
    const block: MBlock = { blockId, status: 'active', lines: new Map(grant.items), seats: new Set(grant.seats) };
    this.blocks.push(block);
    return block;
  }

  private blockTake(block: MBlock, items: Map<string, number>, seats: string[]) {
    for (const [cid, qty] of items) {
      add(block.lines, cid, -qty);
      if (block.lines.get(cid) === 0) block.lines.delete(cid);
    }
    for (const seat of seats) block.seats.delete(seat);
  }

  private blockGive(block: MBlock, items: Map<string, number>, seats: string[]) {
    for (const [cid, qty] of items) add(block.lines, cid, qty);
    for (const seat of seats) block.seats.add(seat);
  }

  /** Seats of a hold (held) or of its booking (booked) go back: to its block while active, else on sale. */
  giveBack(hold: MHold, from: 'held' | 'booked') {
    if (hold.block?.status === 'active') {
      this.move(hold.items, hold.seats, from, 'blocked');
      this.blockGive(hold.block, hold.items, hold.seats);
    } else {
      this.move(hold.items, hold.seats, from, 'available');
    }
  }

  /** A release of a block: what it names (checked), or all it holds; empty afterwards: released. */
  predictRelease(block: MBlock, ask: { seats?: string[]; items?: { category_id: string; qty: number }[] }): Prediction<{ items: Map<string, number>; seats: string[] }> {
    if (block.status === 'released') return { items: new Map(), seats: [] };
    if (ask.seats) {
      if (ask.seats.length === 0 || ask.seats.some((s) => !block.seats.has(s))) return { refuse: 422 };
      const items = new Map<string, number>();
      for (const seat of ask.seats) add(items, this.categoryOfSeat(seat)!, 1);
      return { items, seats: ask.seats };
    }
    if (ask.items) {
      for (const line of ask.items) {
        if (this.cat(line.category_id)?.kind !== 'general') return { refuse: 422 };
        if ((block.lines.get(line.category_id) ?? 0) < line.qty) return { refuse: 422 };
      }
      return { items: new Map(ask.items.map((l) => [l.category_id, l.qty])), seats: [] };
    }
    return { items: new Map(block.lines), seats: [...block.seats] };
  }

  release(block: MBlock, what: { items: Map<string, number>; seats: string[] }) {
    if (block.status === 'released') return;
    this.move(what.items, what.seats, 'blocked', 'available');
    this.blockTake(block, what.items, what.seats);
    if (block.lines.size === 0) block.status = 'released';
  }

  join(entryId: string, token: string, category: string, qty: number): MEntry {
    const entry: MEntry = { entryId, token, category, qty, seq: ++this.joined, state: 'waiting' };
    this.entries.push(entry);
    return entry;
  }

  /**
   * Serves the waiting lists: while a first waiting entry of a category on sale fits (its
   * qty at most the category's purchasable), the one of those that joined first is offered a
   * hold. Returns the entries offered, in order; their holds' ids are learnt from the service.
   */
  serve(): MEntry[] {
    const offered: MEntry[] = [];
    for (;;) {
      let best: MEntry | undefined;
      for (const c of this.categories) {
        if (!this.onSale(c)) continue;
        const head = this.waitingOf(c.id)[0];
        if (head && head.qty <= this.purchasable(c) && (!best || head.seq < best.seq)) best = head;
      }
      if (!best) return offered;
      const c = this.cat(best.category)!;
      const seats = c.kind === 'seated' ? this.pick(c.id, best.qty, 'prefer', false) : [];
      const hold: MHold = { holdId: '', token: best.token, items: new Map([[c.id, best.qty]]), seats, state: 'active', entry: best };
      this.take(hold);
      best.state = 'offered';
      best.hold = hold;
      offered.push(best);
    }
  }
}
