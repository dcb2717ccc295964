import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Holds from a block over real HTTP: POST /holds with a block_id (admin) sells house seats
// kept in a block, named or by qty; the seats move blocked → held; none of the public rules
// apply; when the hold ends unbooked (release, expiry) or its booking is cancelled, its seats go
// back to the block while the block is active, else on sale.

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('holds from a block (house seats)', () => {
  let app: TestService;
  let api: Api;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '4', RECONCILE_INTERVAL_MS: '500' }, { admin: true });
    api = app.api;
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app.stop());

  const asAdmin = () => ({ headers: api.admin });
  const block = async (eventId: string, body: unknown) => {
    const response = await api.post(`/events/${eventId}/blocks`, body, asAdmin());
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };
  const fromBlock = (body: Record<string, unknown>) => api.holdSeats(body, api.admin);
  const held = async (body: Record<string, unknown>) => {
    const response = await fromBlock(body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };
  const getBlock = async (blockId: string) => (await api.get(`/blocks/${blockId}`, asAdmin())).body;
  const categoryOf = (event: any, id: string) => event.categories.find((c: any) => c.category_id === id);
  const rowsOf = async (eventId: string) =>
    Object.fromEntries((await api.seats(eventId)).body.rows.map((row: any) => [row.row, row.status]));
  const invariants = (eventId: string) => assertInvariants(api, eventId, { redis: redisUrl, prefix: app.prefix });

  const venue = () =>
    api.event([
      { category_id: 'stalls', rows: [{ row: 'A', seats: 10 }, { row: 'B', seats: 10 }] },
      { category_id: 'standing', capacity: 100 },
    ]);

  it('named seats of the block: 201 with block_id; blocked → held on the map, in the counts and the log; the block lists the rest', async () => {
    const eventId = await venue();
    const house = await block(eventId, { seats: ['A4', 'A5', 'A6', 'B5'], reason: 'house seats' });
    const hold = await held({ event_id: eventId, block_id: house.block_id, seats: ['A5', 'B5'] });
    expect(hold).to.deep.include({ event_id: eventId, block_id: house.block_id, qty: 2, seats: ['A5', 'B5'], status: 'active' });
    expect(hold.items).to.deep.equal([{ category_id: 'stalls', qty: 2 }]);
    expect((await api.getHold(hold.hold_id)).body.block_id).to.equal(house.block_id);
    expect(await rowsOf(eventId)).to.deep.equal({ A: 'AAAXHXAAAA', B: 'AAAAHAAAAA' });
    expect(categoryOf((await api.getEvent(eventId)).body, 'stalls')).to.include({ available: 16, held: 2, blocked: 2 });
    expect(await getBlock(house.block_id)).to.deep.include({ status: 'active', items: [{ category_id: 'stalls', qty: 2 }], seats: ['A4', 'A6'] });
    const created = (await api.readLog(eventId)).filter((entry) => entry.type === 'hold.created');
    expect(created.map((e) => [e.hold_id, e.block_id, e.seats])).to.deep.equal([[hold.hold_id, house.block_id, ['A5', 'B5']]]);
    // booked as any hold
    const booking = await api.book(hold.hold_id, hold.payment_token);
    expect(booking.status).to.equal(201);
    expect(categoryOf((await api.getEvent(eventId)).body, 'stalls')).to.include({ booked: 2, blocked: 2, held: 0 });
    await invariants(eventId);
  });

  it("qty: a seated line takes the block's seats in row order, then by number; a general line its places", async () => {
    const eventId = await venue();
    const house = await block(eventId, { seats: ['B2', 'A9', 'B1', 'A3'] });
    const seated = await held({ event_id: eventId, block_id: house.block_id, qty: 3 });
    expect(seated.seats).to.deep.equal(['A3', 'A9', 'B1']);
    const places = await block(eventId, { items: [{ category_id: 'standing', qty: 30 }] });
    const general = await held({ event_id: eventId, block_id: places.block_id, qty: 25, category_id: 'standing' });
    expect(general).to.deep.include({ qty: 25, items: [{ category_id: 'standing', qty: 25 }] });
    expect(categoryOf((await api.getEvent(eventId)).body, 'standing')).to.include({ available: 70, held: 25, blocked: 5 });
    await invariants(eventId);
  });

  it('qty with no category_id from a block of several categories → 422 saying the block holds several; with category_id it is served', async () => {
    const eventId = await venue();
    const mixed = await block(eventId, { items: [{ category_id: 'stalls', qty: 2 }, { category_id: 'standing', qty: 2 }] });
    const refused = await fromBlock({ event_id: eventId, block_id: mixed.block_id, qty: 1 });
    expectProblem(refused, 422, 'invalid-request');
    expect(refused.body.detail).to.equal('This block holds seats of several categories: name one with category_id');
    expect(refused.body.errors.map((e: any) => e.field)).to.deep.equal(['category_id']);
    expect((await held({ event_id: eventId, block_id: mixed.block_id, qty: 2, category_id: 'standing' })).qty).to.equal(2);
    // the block now holds one category: no category_id needed, though the event has two
    expect((await held({ event_id: eventId, block_id: mixed.block_id, qty: 1 })).items).to.deep.equal([{ category_id: 'stalls', qty: 1 }]);
    await invariants(eventId);
  });

  it('none of the public rules apply: the per-hold limit, the sales state, the waiting list, the admission queue', async () => {
    const eventId = await venue();
    const house = await block(eventId, { items: [{ category_id: 'standing', qty: 94 }] });
    await api.holdSeats({ event_id: eventId, qty: 4, category_id: 'standing' });
    const entry = await api.join(eventId, { qty: 4, category_id: 'standing' });
    expect(entry.body.status, 'the rest is blocked or held: the entry waits').to.equal('waiting');
    expectProblem(await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'standing' }), 409, 'waitlist-first');
    expect((await api.patch(`/events/${eventId}`, { sales: 'paused' }, asAdmin())).status).to.equal(200);
    const queue = await api.put(`/events/${eventId}/queue`, { opens_at: '2999-01-01T00:00:00Z', admit_per_minute: 60 }, asAdmin());
    expect(queue.status).to.equal(200);
    expectProblem(await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'standing' }), 403, 'admission-required');
    // 60 seats > MAX_QTY_PER_HOLD (4), paused, a waiting entry, behind a queue: served all the same
    const hold = await held({ event_id: eventId, block_id: house.block_id, qty: 60, category_id: 'standing' });
    expect(hold.qty).to.equal(60);
    expect((await held({ event_id: eventId, block_id: house.block_id, qty: 30, ttl: 60 })).qty).to.equal(30);
    expect(categoryOf((await api.getEvent(eventId)).body, 'standing')).to.include({ available: 2, held: 94, blocked: 4, waiting: 1 });
    await invariants(eventId);
  });

  it('the per-client limits do not apply to holds from a block', async () => {
    const limited = await startTestService({ MAX_ACTIVE_HOLDS_PER_CLIENT: '1', HOLD_RATE_LIMIT: '2/min' }, { admin: true });
    try {
      const eventId = await limited.api.event([{ category_id: 'ga', capacity: 20 }]);
      const created = await limited.api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'ga', qty: 10 }] }, { headers: limited.api.admin });
      for (let i = 0; i < 5; i++) {
        const hold = await limited.api.post('/holds', { event_id: eventId, block_id: created.body.block_id, qty: 1 }, { headers: limited.api.admin });
        expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      }
      expect((await limited.api.post('/holds', { event_id: eventId, qty: 1 })).status).to.equal(201);
      expect((await limited.api.post('/holds', { event_id: eventId, qty: 1 })).status, 'a public hold is still capped').to.equal(429);
    } finally {
      await limited.stop();
    }
  });

  it('at most 100 seats from a block even where MAX_QTY_PER_HOLD allows more: 101 → 422, never a 5xx', async () => {
    const roomy = await startTestService({ MAX_QTY_PER_HOLD: '150' }, { admin: true });
    try {
      const eventId = await roomy.api.event([{ category_id: 'ga', capacity: 400 }]);
      const created = await roomy.api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'ga', qty: 200 }] }, { headers: roomy.api.admin });
      const over = await roomy.api.post('/holds', { event_id: eventId, block_id: created.body.block_id, qty: 101 }, { headers: roomy.api.admin });
      expectProblem(over, 422, 'invalid-request');
      expect(over.body.errors.map((e: any) => e.field)).to.deep.equal(['qty']);
      const most = await roomy.api.post('/holds', { event_id: eventId, block_id: created.body.block_id, qty: 100 }, { headers: roomy.api.admin });
      expect(most.status, JSON.stringify(most.body)).to.equal(201);
      expect((await roomy.api.post('/holds', { event_id: eventId, qty: 150 })).status, 'a public hold of 150').to.equal(201);
    } finally {
      await roomy.stop();
    }
  });

  it('refusals: 401 without the admin bearer; 422 for items, partial, adjacent, allot_partial, more than 100; 404 for an unknown block; 409 for what the block lacks', async () => {
    const eventId = await venue();
    const house = await block(eventId, { seats: ['A1', 'A2'] });
    const general = await block(eventId, { items: [{ category_id: 'standing', qty: 3 }] });
    const body = { event_id: eventId, block_id: house.block_id, seats: ['A1'] };
    expectProblem(await api.post('/holds', body), 401, 'unauthorized');
    expectProblem(await api.post('/holds', body, { headers: { authorization: 'Bearer wrong' } }), 401, 'unauthorized');
    const bad: [Record<string, unknown>, string, string?][] = [
      [{ event_id: eventId, block_id: general.block_id, items: [{ category_id: 'standing', qty: 1 }] }, 'items'],
      [{ event_id: eventId, block_id: general.block_id, qty: 1, partial: true }, 'partial'],
      [{ event_id: eventId, block_id: house.block_id, qty: 1, adjacent: false }, 'adjacent'],
      [{ event_id: eventId, block_id: general.block_id, qty: 101 }, 'qty'],
      [{ event_id: eventId, block_id: house.block_id, seats: Array.from({ length: 101 }, (_, i) => `A${i + 1}`) }, 'seats'],
      [{ event_id: eventId, block_id: general.block_id, qty: 1 }, 'allot_partial', '?allot_partial=true'],
      [{ event_id: eventId, block_id: '', qty: 1 }, 'block_id'],
    ];
    for (const [request, field, query] of bad) {
      const response = await api.post(`/holds${query ?? ''}`, request, asAdmin());
      expectProblem(response, 422, 'invalid-request');
      expect(response.body.errors.map((e: any) => e.field), JSON.stringify(request).slice(0, 120)).to.include(field);
    }
    const other = await venue();
    const otherBlock = await block(other, { seats: ['A1'] });
    for (const blockId of [`${eventId}.${UNKNOWN}`, otherBlock.block_id, 'nope']) {
      expectProblem(await fromBlock({ event_id: eventId, block_id: blockId, seats: ['A1'] }), 404, 'not-found');
    }
    const lacking = await fromBlock({ event_id: eventId, block_id: house.block_id, seats: ['A2', 'A3', 'B1'] });
    expectProblem(lacking, 409, 'seats-unavailable');
    expect(lacking.body.unavailable).to.deep.equal(['A3', 'B1']);
    const short = await fromBlock({ event_id: eventId, block_id: general.block_id, qty: 4 });
    expectProblem(short, 409, 'not-enough-seats');
    expect(short.body.available).to.equal(3);
    const notInIt = await fromBlock({ event_id: eventId, block_id: house.block_id, qty: 1, category_id: 'standing' });
    expectProblem(notInIt, 409, 'not-enough-seats');
    expect(notInIt.body.available).to.equal(0);
    expect((await api.getEvent(eventId)).body).to.include({ held: 0, blocked: 5 });
    await invariants(eventId);
  });

  it('a hold that ends unbooked gives its seats back to the block while it is active: released, expired', async () => {
    const eventId = await venue();
    const house = await block(eventId, { seats: ['A1', 'A2', 'A3'] });
    const released = await held({ event_id: eventId, block_id: house.block_id, seats: ['A1'] });
    expect((await api.release(released.hold_id, released.payment_token)).status).to.equal(200);
    expect((await getBlock(house.block_id)).seats).to.deep.equal(['A1', 'A2', 'A3']);
    expect((await rowsOf(eventId)).A).to.equal('XXXAAAAAAA');

    const expiring = await held({ event_id: eventId, block_id: house.block_id, seats: ['A2', 'A3'], ttl: 1 });
    expect((await rowsOf(eventId)).A).to.equal('XHHAAAAAAA');
    await eventually(async () => (await api.getHold(expiring.hold_id)).body.status === 'expired');
    expect((await rowsOf(eventId)).A).to.equal('XXXAAAAAAA');
    expect(await getBlock(house.block_id)).to.deep.include({ status: 'active', seats: ['A1', 'A2', 'A3'] });
    const ends = (await api.readLog(eventId)).filter((e) => e.type === 'hold.released' || e.type === 'hold.expired');
    expect(ends.map((e) => [e.type, e.block_id])).to.deep.equal([
      ['hold.released', house.block_id],
      ['hold.expired', house.block_id],
    ]);
    expect(categoryOf((await api.getEvent(eventId)).body, 'stalls')).to.include({ available: 17, held: 0, blocked: 3 });
    await invariants(eventId);
  });

  it('a cancelled booking from a block hold goes back to the block while it is active', async () => {
    const eventId = await venue();
    const house = await block(eventId, { items: [{ category_id: 'standing', qty: 5 }] });
    const hold = await held({ event_id: eventId, block_id: house.block_id, qty: 5 });
    const booking = await api.book(hold.hold_id, hold.payment_token);
    expect((await getBlock(house.block_id))).to.deep.include({ status: 'active', items: [] });
    expect((await api.get(`/events/${eventId}/blocks`, asAdmin())).body.blocks.map((b: any) => b.block_id), 'emptied by holds, still active').to.deep.equal([house.block_id]);
    expect((await api.cancelAsAdmin(booking.body.booking_id)).status).to.equal(200);
    expect((await getBlock(house.block_id)).items).to.deep.equal([{ category_id: 'standing', qty: 5 }]);
    expect(categoryOf((await api.getEvent(eventId)).body, 'standing')).to.include({ available: 95, booked: 0, blocked: 5 });
    await invariants(eventId);
  });

  it('once the block is released, seats of its holds that end go back on sale (to the waiting list first)', async () => {
    const eventId = await venue();
    const house = await block(eventId, { seats: ['B1', 'B2'] });
    const hold = await held({ event_id: eventId, block_id: house.block_id, seats: ['B1', 'B2'] });
    const emptied = await api.post(`/blocks/${house.block_id}/release`, undefined, asAdmin());
    expect(emptied.body).to.deep.include({ status: 'released', items: [] });
    const toBook = await held({ event_id: eventId, block_id: house.block_id, seats: ['B1'] }).catch(() => undefined);
    expect(toBook, 'a released block holds nothing').to.equal(undefined);
    await block(eventId, { items: [{ category_id: 'stalls', qty: 18 }] });
    const entry = await api.join(eventId, { qty: 1, category_id: 'stalls' });
    expect(entry.body.status).to.equal('waiting');
    expect((await api.release(hold.hold_id, hold.payment_token)).status).to.equal(200);
    const stalls = categoryOf((await api.getEvent(eventId)).body, 'stalls');
    expect(stalls).to.include({ blocked: 18, available: 1, held: 1, waiting: 0 });
    expect((await api.getEntry(entry.body.entry_id)).body.status).to.equal('offered');
    const end = (await api.readLog(eventId)).find((e) => e.type === 'hold.released' && e.hold_id === hold.hold_id);
    expect(end.block_id).to.equal(undefined);
    await invariants(eventId);
  });
});
