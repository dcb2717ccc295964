import { expect } from 'chai';
import type { SseClient } from './sse.js';

// A live stream's client side, as the contract describes it: take the snapshot, apply each
// entry to its category's counts (and to the seat map) as the audit-log table says, and
// compare with what GET /events/{id} (and /seats) show at the same moment. What follows from
// the counts is worked out as a client would: the event's sums, each quota's used and
// available, each category's purchasable.

export interface SeatRow {
  row: string;
  category_id: string;
  seats: number;
  status: string;
}

export interface StreamedState {
  event: any;
  rows?: SeatRow[];
  /** the id of the last entry applied (the snapshot's id to start with) */
  lastId: string;
}

type Count = 'available' | 'held' | 'booked' | 'blocked';
const COUNTS: Count[] = ['available', 'held', 'booked', 'blocked'];

/** What each type moves, per seat of qty, from one count to another, and the seats' new state. */
const MOVES: Record<string, { from?: Count; to?: Count; seat?: string }> = {
  'hold.created': { from: 'available', to: 'held', seat: 'H' },
  'hold.released': { from: 'held', to: 'available', seat: 'A' },
  'hold.expired': { from: 'held', to: 'available', seat: 'A' },
  'booking.created': { from: 'held', to: 'booked', seat: 'B' },
  'booking.cancelled': { from: 'booked', to: 'available', seat: 'A' },
  'hold.extended': {},
  'seats.blocked': { from: 'available', to: 'blocked', seat: 'X' },
  'seats.unblocked': { from: 'blocked', to: 'available', seat: 'A' },
};

/** Entries of these types that name a block take their seats from it, or give them back to it. */
const BLOCK_SIDE = new Set(['hold.created', 'hold.released', 'hold.expired', 'booking.cancelled']);

export function stateOfSnapshot(snapshot: { id?: string; data: string }): StreamedState {
  const { seats, ...event } = JSON.parse(snapshot.data);
  return { event, ...(seats ? { rows: seats.map((row: SeatRow) => ({ ...row })) } : {}), lastId: snapshot.id! };
}

/** Applies one streamed entry (its data) as the audit-log table says. */
export function applyEntry(state: StreamedState, entry: any): void {
  const { event } = state;
  const category = event.categories.find((c: any) => c.category_id === entry.category_id);
  state.lastId = entry.id;
  switch (entry.type) {
    case 'category.added':
      expect(category, `entry ${entry.id} adds a category the snapshot has not`).to.equal(undefined);
      event.categories.push({
        category_id: entry.category_id,
        kind: entry.kind,
        // The entry does not say whether it was added paused; categories are added open
        // unless asked otherwise (the tests add them open).
        sales: entry.sales ?? 'open',
        total: entry.qty,
        available: entry.qty,
        held: 0,
        booked: 0,
        blocked: 0,
      });
      return;
    case 'capacity.changed':
      category.total += entry.delta;
      category.available += entry.delta;
      return;
    case 'sales.changed':
      (entry.category_id === null ? event : category).sales = entry.sales;
      return;
    case 'quota.changed':
      event.quotas = event.quotas.filter((q: any) => q.quota_id !== entry.quota_id);
      if (!entry.removed) event.quotas.push({ quota_id: entry.quota_id, capacity: entry.capacity, categories: entry.categories });
      return;
  }
  const move = MOVES[entry.type];
  if (!move) throw new Error(`no replay rule for entry type ${entry.type}: add it to test/helpers/stream-replay.ts`);
  expect(category, `entry ${entry.id} names a category of the stream`).to.not.equal(undefined);
  const fromBlock = entry.block_id !== undefined && BLOCK_SIDE.has(entry.type);
  const from = fromBlock && move.from === 'available' ? 'blocked' : move.from;
  const to = fromBlock && move.to === 'available' ? 'blocked' : move.to;
  if (from) category[from] -= entry.qty;
  if (to) category[to] += entry.qty;
  const seat = fromBlock && move.seat === 'A' ? 'X' : move.seat;
  if (state.rows && seat && entry.seats) {
    for (const id of entry.seats as string[]) {
      const [, rowName, number] = /^(.*?)(\d+)$/.exec(id)!;
      const row = state.rows.find((r) => r.row === rowName);
      expect(row, `seat ${id} is on the snapshot's map`).to.not.equal(undefined);
      const i = Number(number) - 1;
      row!.status = `${row!.status.slice(0, i)}${seat}${row!.status.slice(i + 1)}`;
    }
  }
}

/** The state a stream (or a stream and its reconnects, in order) shows: snapshot + every entry. */
export function replayStreams(...streams: SseClient[]): StreamedState {
  const snapshot = streams[0]!.messages[0];
  expect(snapshot?.event, 'the first message is the snapshot').to.equal('snapshot');
  const state = stateOfSnapshot(snapshot!);
  for (const [i, stream] of streams.entries()) {
    if (i > 0) expect(stream.messages.filter((m) => m.event === 'snapshot'), 'a resumed stream sends no snapshot').to.deep.equal([]);
    for (const message of stream.entries) applyEntry(state, JSON.parse(message.data));
  }
  return state;
}

/** What a client works out from the counts: sums, quotas' use, each category's purchasable. */
function derived(event: any): any {
  const categories = event.categories.map((c: any) => ({
    category_id: c.category_id,
    kind: c.kind,
    sales: c.sales,
    total: c.total,
    ...Object.fromEntries(COUNTS.map((count) => [count, c[count]])),
  }));
  const quotas = [...event.quotas]
    .map((q: any) => {
      const used = categories
        .filter((c: any) => q.categories.includes(c.category_id))
        .reduce((sum: number, c: any) => sum + c.held + c.booked + c.blocked, 0);
      return { quota_id: q.quota_id, capacity: q.capacity, categories: [...q.categories].sort(), used, available: q.capacity - used };
    })
    .sort((a: any, b: any) => a.quota_id.localeCompare(b.quota_id));
  for (const category of categories) {
    const room = quotas.filter((q: any) => q.categories.includes(category.category_id)).map((q: any) => q.available);
    category.purchasable = Math.max(0, Math.min(category.available, ...room));
  }
  const sums = Object.fromEntries(
    ['total', ...COUNTS].map((count) => [count, categories.reduce((sum: number, c: any) => sum + c[count], 0)]),
  );
  return { sales: event.sales, ...sums, categories, quotas };
}

/** The replayed state shows exactly what GET /events/{id} (and /seats) show. */
export function expectSameState(state: StreamedState, event: any, rows: SeatRow[] | undefined, what: string): void {
  const mine = derived(state.event);
  const theirs = derived(event);
  expect(mine.categories.map((c: any) => c.purchasable), `${what}: purchasable`).to.deep.equal(
    event.categories.map((c: any) => c.purchasable),
  );
  expect(mine, `${what}: the counts`).to.deep.equal(theirs);
  for (const key of ['total', ...COUNTS]) expect(mine[key as Count], `${what}: the event's ${key}`).to.equal(event[key]);
  if (rows) {
    // A category added after the snapshot brings rows no entry lists: the map of those known.
    const known = new Set(state.rows!.map((row) => row.category_id));
    expect(state.rows, `${what}: the seat map`).to.deep.equal(rows.filter((row) => known.has(row.category_id)));
  }
}
