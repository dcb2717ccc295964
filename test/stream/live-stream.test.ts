import { expect } from 'chai';
import type { Api } from '../helpers/api.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { inPool } from '../helpers/pool.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse.js';
import { expectSameState, replayStreams, type SeatRow } from '../helpers/stream-replay.js';

// GET /events/{event_id}/stream as a browser uses it: a snapshot, then every log entry after
// it. A burst of holds, bookings, releases, cancellations, extensions, waiting-list offers
// and expiries from several clients at once, with streams opened before and during it and
// reconnected halfway: every stream, its snapshot with its entries applied as the audit-log
// table says, shows exactly what GET /events/{id} (and the seat map) show at the end; the
// entries are the log's, in order, none lost, none twice, without hold, booking or entry ids.

const STALLS = ['A', 'B', 'C', 'D'].map((row) => ({ row, seats: 10 }));

describe('live stream (GET /events/{event_id}/stream)', function () {
  this.timeout(120_000);
  let app: TestService;
  let url: string;
  const open: SseClient[] = [];

  before(async () => {
    app = await startTestService({ HOLD_TTL_DEFAULT_S: '60' }, { admin: true });
    url = app.service.url;
  });
  afterEach(() => open.splice(0).forEach((stream) => stream.close()));
  after(() => app?.stop());

  const stream = async (eventId: string, query = '', headers: Record<string, string> = {}) => {
    const client = await SseClient.open(`${url}/events/${eventId}/stream${query}`, { headers });
    open.push(client);
    return client;
  };

  const theatre = () =>
    app.api.event([
      { category_id: 'stalls', rows: STALLS },
      { category_id: 'standing', capacity: 12 },
    ]);

  /** The log's entries after `id` ('0': all), as GET /events/{id}/log shows them. */
  const logAfter = async (eventId: string, id: string) => {
    const log = await app.api.readLog(eventId);
    return id === '0' ? log : log.slice(log.findIndex((entry) => entry.id === id) + 1);
  };

  const withoutIds = ({ hold_id: _h, booking_id: _b, entry_id: _e, ...rest }: any) => rest;

  it('opens with a snapshot: the body of GET /events/{id} (with ?seats=true, the seat map too) and the id of the last entry', async () => {
    const eventId = await theatre();
    const fresh = await stream(eventId);
    expect(fresh.status).to.equal(200);
    expect(fresh.header('content-type')).to.match(/^text\/event-stream/);
    expect(fresh.header('cache-control')).to.include('no-cache');
    const [snapshot] = await fresh.waitForMessages(1);
    expect(snapshot).to.include({ event: 'snapshot', id: '0' });
    expect(JSON.parse(snapshot!.data)).to.deep.equal((await app.api.getEvent(eventId)).body);
    expect(fresh.retryMs, 'tells the browser how soon to reconnect').to.be.a('number');
    const head = await fetch(`${url}/events/${eventId}/stream`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')], 'HEAD: the headers, and the answer ends').to.deep.equal([200, 'text/event-stream']);

    const hold = await app.api.holdSeats({ event_id: eventId, seats: ['B3', 'B4'] });
    expect(hold.status).to.equal(201);
    const withSeats = await stream(eventId, '?seats=true');
    const [second] = await withSeats.waitForMessages(1);
    const [last] = (await app.api.readLog(eventId)).slice(-1);
    expect(second!.id).to.equal(last.id);
    const { seats, ...body } = JSON.parse(second!.data);
    expect(body).to.deep.equal((await app.api.getEvent(eventId)).body);
    expect(seats).to.deep.equal((await app.api.seats(eventId)).body.rows);
    expect(seats.find((row: SeatRow) => row.row === 'B').status).to.equal('AAHHAAAAAA');
  });

  it('needs no admin token (the service has one), and sends each entry as the log shows it, less hold, booking and entry ids', async () => {
    const eventId = await theatre();
    const watching = await stream(eventId);
    await watching.waitForMessages(1);
    // a hold, its booking, a sold-out category's waiting list and the offer a release makes
    const booked = await app.api.holdSeats({ event_id: eventId, category_id: 'standing', qty: 10 });
    expect((await app.api.book(booked.body.hold_id, booked.body.payment_token)).status).to.equal(201);
    const held = await app.api.holdSeats({ event_id: eventId, category_id: 'standing', qty: 2 });
    const joined = await app.api.join(eventId, { category_id: 'standing', qty: 1 });
    expect(joined.status).to.equal(201);
    expect((await app.api.release(held.body.hold_id, held.body.payment_token)).status).to.equal(200);
    const log = await app.api.readLog(eventId);
    expect(log.some((entry) => entry.entry_id), 'an offer to the waiting entry was logged').to.equal(true);
    await watching.waitForMessages(1 + log.length);
    expect(watching.entries.map((m) => m.id)).to.deep.equal(log.map((entry) => entry.id));
    watching.entries.forEach((message, i) => {
      expect(message.event).to.equal(log[i].type);
      const data = JSON.parse(message.data);
      expect(data).to.deep.equal(withoutIds(log[i]));
      expect(data).to.not.have.any.keys('hold_id', 'booking_id', 'entry_id');
    });
    for (const message of watching.messages) expect(message.data).to.not.match(/hold_id|booking_id|entry_id/);
  });

  it('a burst of holds, bookings, releases, cancellations, extensions, offers and expiries: every stream replays to GET /events/{id}; reconnects lose and repeat nothing', async () => {
    const eventId = await theatre();
    const clients = Array.from({ length: 6 }, () => app.api);
    const before = await stream(eventId, '?seats=true');
    await before.waitForMessages(1);
    const plain = await stream(eventId);
    await plain.waitForMessages(1);

    const opened: { client: SseClient; seats: boolean }[] = [];
    const chains: SseClient[][] = [[before]];
    const midway = async () => {
      // streams opened while the burst runs: their snapshots are taken among the writes
      for (let i = 0; i < 4; i++) {
        await sleep(100 + Math.random() * 300);
        const seats = i % 2 === 0;
        const client = await stream(eventId, seats ? '?seats=true' : '');
        opened.push({ client, seats });
      }
    };
    const reconnects = async () => {
      // `before` drops halfway and comes back twice: Last-Event-ID, then ?after=
      await sleep(400);
      const chain = chains[0]!;
      for (const how of ['header', 'query'] as const) {
        const last = chain.at(-1)!;
        await eventually(() => last.entries.length > 0);
        last.close();
        const id = last.lastEventId!;
        const next = how === 'header' ? await stream(eventId, '?seats=true', { 'Last-Event-ID': id }) : await stream(eventId, `?seats=true&after=${id}`);
        expect(next.status).to.equal(200);
        chain.push(next);
        await sleep(300);
      }
    };
    await Promise.all([...clients.map((client) => shopper(client, eventId, 14)), midway(), reconnects()]);

    // the short holds expire, then nothing moves
    await sleep(2_500);
    const { event, rows, log } = await settled(app.api, eventId);
    expect(log.filter((e) => e.type === 'hold.expired').length, 'some holds expired').to.be.above(0);
    expect(log.filter((e) => e.type === 'booking.cancelled').length, 'some bookings were cancelled').to.be.above(0);
    const lastId = log.at(-1).id;

    const everyChain = [...chains, [plain], ...opened.map((o) => [o.client])];
    for (const chain of everyChain) await eventually(() => chain.at(-1)!.lastEventId === lastId, { timeoutMs: 5_000 });
    for (const [n, chain] of everyChain.entries()) {
      const snapshotId = chain[0]!.messages[0]!.id!;
      const expected = await logAfter(eventId, snapshotId);
      const streamed = chain.flatMap((client) => client.entries);
      expect(streamed.map((m) => m.id), `stream ${n}: the log's entries after its snapshot, once each, in order`).to.deep.equal(
        expected.map((entry) => entry.id),
      );
      expect(streamed.map((m) => JSON.parse(m.data))).to.deep.equal(expected.map(withoutIds));
      const withSeats = chain === everyChain[0] || opened.find((o) => o.client === chain[0])?.seats;
      expectSameState(replayStreams(...chain), event, withSeats ? rows : undefined, `stream ${n}`);
    }
  });

  it('operators change the event while it sells (blocks, house seats from a block, pauses, capacity, a new category, quotas): every stream replays to GET /events/{id}', async () => {
    // The operator's changes go through the service's domain (as its admin routes do).
    const { blocks, holds, bookings, categories, quotas, events } = app.service;
    const eventId = await theatre();
    const before = await stream(eventId, '?seats=true');
    await before.waitForMessages(1);
    const opened: SseClient[] = [];
    const operator = async () => {
      const house = (await blocks.create({ eventId, request: { kind: 'seats', seats: ['D1', 'D2', 'D3', 'D4'] }, reason: 'house' })).block;
      await blocks.create({ eventId, request: { kind: 'items', items: [{ categoryId: 'standing', qty: 2 }] } });
      opened.push(await stream(eventId, '?seats=true'));
      const sold = await holds.create({ eventId, ttlS: 60, request: { kind: 'seats', seats: ['D1', 'D2'] }, blockId: house.blockId });
      await bookings.book(sold.hold.holdId, sold.paymentToken);
      // a house seat held for a second: it lapses back into the block
      await holds.create({ eventId, ttlS: 1, request: { kind: 'seats', seats: ['D3'] }, blockId: house.blockId });
      await categories.update(eventId, 'standing', { capacity: 20 });
      await tightQuota(['stalls', 'standing']);
      opened.push(await stream(eventId));
      await categories.update(eventId, 'stalls', { sales: 'paused' });
      await categories.add(eventId, { categoryId: 'balcony', rows: [{ row: 'G', seats: 6 }] });
      await categories.add(eventId, { categoryId: 'boxes', capacity: 4 });
      await events.update(eventId, { sales: 'paused' });
      await events.update(eventId, { sales: 'open' });
      await categories.update(eventId, 'stalls', { sales: 'open' });
      opened.push(await stream(eventId, '?seats=true'));
      await blocks.release(house.blockId, { kind: 'seats', seats: ['D4'] });
      await tightQuota(['stalls', 'standing', 'boxes']);
      await cutStanding();
      await quotas.remove(eventId, 'floor');
    };
    // The buyers' picks are random: size the operator's changes to what they left, and try
    // again when a buyer took seats in between (a refused change changes nothing).
    const refusedAs = (code: string) => (error: unknown) => {
      if ((error as { code?: string }).code !== code) throw error;
      return null;
    };
    const tightQuota = async (included: string[]) => {
      for (let margin = 4; ; margin += 4) {
        const event = await events.get(eventId);
        const used = event.categories
          .filter((c) => included.includes(c.categoryId))
          .reduce((sum, c) => sum + c.held + c.booked + c.blocked, 0);
        const put = { quotaId: 'floor', capacity: used + margin, categories: included };
        if (await quotas.put(eventId, put).catch(refusedAs('quota-in-use'))) return;
      }
    };
    const cutStanding = async () => {
      for (let tries = 0; tries < 20; tries++) {
        const standing = (await events.get(eventId)).categories.find((c) => c.categoryId === 'standing')!;
        const cut = Math.min(4, standing.available);
        if (cut === 0) return;
        const changes = { capacity: standing.total - cut };
        if (await categories.update(eventId, 'standing', changes).catch(refusedAs('capacity-cut-refused'))) return;
      }
    };
    const buyers = Array.from({ length: 3 }, () => shopper(app.api, eventId, 10));
    await Promise.all([operator(), ...buyers]);
    await sleep(2_500);
    const { event, rows, log } = await settled(app.api, eventId);
    const types = new Set(log.map((entry) => entry.type));
    for (const type of ['seats.blocked', 'seats.unblocked', 'capacity.changed', 'sales.changed', 'category.added', 'quota.changed']) {
      expect(types.has(type), type).to.equal(true);
    }
    expect(log.some((entry) => entry.block_id && entry.type === 'hold.created'), 'house seats held from the block').to.equal(true);
    const lastId = log.at(-1).id;
    for (const client of [before, ...opened]) await eventually(() => client.lastEventId === lastId, { timeoutMs: 5_000 });
    for (const [n, client] of [before, ...opened].entries()) {
      const state = replayStreams(client);
      expectSameState(state, event, state.rows ? rows : undefined, `stream ${n}`);
    }
    expect([before, ...opened].filter((client) => replayStreams(client).rows), 'streams with the seat map').to.have.length(3);
  });

  it('continues after an entry (Last-Event-ID wins over ?after=; 0: the whole log) without a snapshot; an id the log does not have starts over with one', async () => {
    const eventId = await theatre();
    for (let i = 0; i < 3; i++) expect((await app.api.holdSeats({ event_id: eventId, category_id: 'standing', qty: 1 })).status).to.equal(201);
    const log = await app.api.readLog(eventId);

    const all = await stream(eventId, '?after=0');
    await all.waitForMessages(3);
    expect(all.messages.map((m) => m.id)).to.deep.equal(log.map((e) => e.id));

    const fromHeader = await stream(eventId, `?after=${log[2].id}`, { 'Last-Event-ID': log[0].id });
    await fromHeader.waitForMessages(2);
    expect(fromHeader.messages.map((m) => m.event)).to.deep.equal(['hold.created', 'hold.created']);
    expect(fromHeader.messages.map((m) => m.id)).to.deep.equal([log[1].id, log[2].id]);

    const [ms] = log[2].id.split('-');
    for (const unknown of [`${Number(ms) + 60_000}-0`, `${ms}-99`]) {
      const fresh = await stream(eventId, '', { 'Last-Event-ID': unknown });
      const [snapshot] = await fresh.waitForMessages(1);
      expect(snapshot).to.include({ event: 'snapshot', id: log[2].id });
    }
  });

  it('unknown event → 404, a malformed Last-Event-ID or after, or seats other than true/false → 422 naming it; nothing is streamed', async () => {
    const eventId = await theatre();
    const unknown = await stream('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).to.equal(404);
    expect(unknown.header('content-type')).to.include('application/problem+json');
    expect(unknown.problem.status).to.equal(404);
    expect((await stream('not an id')).status).to.equal(404);
    for (const [query, headers, field] of [
      ['?after=yesterday', {}, 'after'],
      ['', { 'Last-Event-ID': 'x-1' }, 'Last-Event-ID'],
      ['?seats=yes', {}, 'seats'],
    ] as const) {
      const refused = await stream(eventId, query, headers);
      expect(refused.status, `${query} ${JSON.stringify(headers)}`).to.equal(422);
      expect(refused.problem.errors.map((e: { field: string }) => e.field)).to.deep.equal([field]);
    }
  });
});

/** One client's random session: holds (counted and named seats, some of 1 s), then book, release, extend or cancel. */
async function shopper(api: Api, eventId: string, steps: number): Promise<void> {
  const bookings: { id: string; token: string }[] = [];
  await inPool(Array.from({ length: steps }, (_, i) => i), 1, async () => {
    const r = Math.random();
    if (r < 0.1 && bookings.length > 0) {
      const booking = bookings.splice(Math.floor(Math.random() * bookings.length), 1)[0]!;
      await api.cancel(booking.id, booking.token);
      return;
    }
    const ttl = Math.random() < 0.3 ? 1 : 60;
    const row = 'ABCD'[Math.floor(Math.random() * 4)]!;
    const body =
      r < 0.4
        ? { event_id: eventId, category_id: 'standing', qty: 1 + Math.floor(Math.random() * 3), ttl }
        : r < 0.7
          ? { event_id: eventId, category_id: 'stalls', qty: 1 + Math.floor(Math.random() * 3), ttl }
          : { event_id: eventId, seats: [`${row}${1 + Math.floor(Math.random() * 10)}`], ttl };
    const hold = await api.holdSeats(body);
    if (hold.status !== 201) {
      if (body.category_id === 'standing' && Math.random() < 0.5) await api.join(eventId, { category_id: 'standing', qty: 1 });
      return;
    }
    if (ttl === 1) return;
    const next = Math.random();
    const { hold_id: holdId, payment_token: token } = hold.body;
    if (next < 0.5) {
      const booked = await api.book(holdId, token);
      if (booked.status === 201) bookings.push({ id: booked.body.booking_id, token });
    } else if (next < 0.8) {
      await api.release(holdId, token);
    } else {
      await api.extend(holdId, token, 120);
    }
  });
  // and one booking cancelled at the end, whatever the draws
  const last = bookings.pop();
  if (last) await api.cancel(last.id, last.token);
}

/** GET /events/{id}, its seat map and its whole log, read while nothing moves. */
async function settled(api: Api, eventId: string) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const event = (await api.getEvent(eventId)).body;
    const rows = (await api.seats(eventId)).body.rows as SeatRow[];
    const log = await api.readLog(eventId);
    const again = (await api.getEvent(eventId)).body;
    const tail = await api.readLog(eventId);
    if (JSON.stringify(event) === JSON.stringify(again) && tail.length === log.length) return { event, rows, log };
    await sleep(200);
  }
  throw new Error('the event never held still');
}
