import { expect } from 'chai';
import type { SseClient } from './sse.js';

// A live stream's client side, as the contract describes it: take the snapshot, apply each
// entry to its category's counts (and to the seat map) as the audit-log table says, and
// compare with what GET /events/{id} (and /seats) show at the same moment.

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

/** What each type does to its category's available, held and booked counts (per seat of qty). */
const MOVES: Record<string, { available: number; held: number; booked: number; seat?: string }> = {
  'hold.created': { available: -1, held: 1, booked: 0, seat: 'H' },
  'hold.released': { available: 1, held: -1, booked: 0, seat: 'A' },
  'hold.expired': { available: 1, held: -1, booked: 0, seat: 'A' },
  'booking.created': { available: 0, held: -1, booked: 1, seat: 'B' },
  'booking.cancelled': { available: 1, held: 0, booked: -1, seat: 'A' },
  'hold.extended': { available: 0, held: 0, booked: 0 },
};

const COUNTS = ['available', 'held', 'booked'] as const;

export function stateOfSnapshot(snapshot: { id?: string; data: string }): StreamedState {
  const event = JSON.parse(snapshot.data);
  const { seats, ...rest } = event;
  return { event: rest, ...(seats ? { rows: seats.map((row: SeatRow) => ({ ...row })) } : {}), lastId: snapshot.id! };
}

/** Applies one streamed entry (its data) as the audit-log table says. */
export function applyEntry(state: StreamedState, entry: any): void {
  const move = MOVES[entry.type];
  if (!move) throw new Error(`no replay rule for entry type ${entry.type}: add it to test/helpers/stream-replay.ts`);
  const category = state.event.categories.find((c: any) => c.category_id === entry.category_id);
  expect(category, `entry ${entry.id} names a category of the snapshot`).to.not.equal(undefined);
  for (const count of COUNTS) {
    category[count] += move[count] * entry.qty;
    state.event[count] += move[count] * entry.qty;
  }
  if (state.rows && move.seat && entry.seats) {
    for (const seat of entry.seats as string[]) {
      const [, rowName, number] = /^(.*?)(\d+)$/.exec(seat)!;
      const row = state.rows.find((r) => r.row === rowName);
      expect(row, `seat ${seat} is on the snapshot's map`).to.not.equal(undefined);
      const i = Number(number) - 1;
      row!.status = `${row!.status.slice(0, i)}${move.seat}${row!.status.slice(i + 1)}`;
    }
  }
  state.lastId = entry.id;
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

const countsOf = (c: any) => ({ total: c.total, available: c.available, held: c.held, booked: c.booked });

/** The replayed state shows exactly what GET /events/{id} (and /seats) show. */
export function expectSameState(state: StreamedState, event: any, rows: SeatRow[] | undefined, what: string): void {
  expect(countsOf(state.event), `${what}: the event's counts`).to.deep.equal(countsOf(event));
  expect(
    state.event.categories.map((c: any) => ({ category_id: c.category_id, ...countsOf(c) })),
    `${what}: each category's counts`,
  ).to.deep.equal(event.categories.map((c: any) => ({ category_id: c.category_id, ...countsOf(c) })));
  if (rows) expect(state.rows, `${what}: the seat map`).to.deep.equal(rows);
}
