import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Holds over real HTTP: named seats (all or nothing, `unavailable`), best
// available with the contract's exact choice rule, multi-category `items` (all or nothing,
// `shortfall`), the per-hold limit on the total, and the shapes that are 422.

const sorted = <T>(values: T[]) => [...values].sort();

describe('holds: named seats, best available, items', () => {
  let app: TestService;
  let api: Api;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '10' }, { admin: true });
    api = app.api;
  });
  after(() => app.stop());

  const row = (name: string, seats: number) => ({ row: name, seats });
  const seatsOf = async (eventId: string) => (await api.seats(eventId)).body.rows.map((r: any) => r.status);
  const takeSeats = async (eventId: string, seats: string[]) => {
    const response = await api.holdSeats({ event_id: eventId, seats, ttl: 600 });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };
  const bestAvailable = async (eventId: string, qty: number, extra: Record<string, unknown> = {}) => {
    const response = await api.holdSeats({ event_id: eventId, qty, ttl: 600, ...extra });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body.seats as string[];
  };

  describe('named seats', () => {
    let eventId: string;
    before(async () => {
      eventId = await api.event([
        { category_id: 'stalls', rows: [row('A', 10), row('B', 10)] },
        { category_id: 'balcony', rows: [row('C', 5)] },
        { category_id: 'ga', capacity: 20 },
      ]);
    });

    it('201 with every member: qty, requested_qty, items, seats in row order, token, active, extensions_left', async () => {
      const response = await api.holdSeats({ event_id: eventId, seats: ['A2', 'A1'], ttl: 300 });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      const body = response.body;
      expect(body).to.include({ event_id: eventId, qty: 2, requested_qty: 2, status: 'active' });
      expect(body.items).to.deep.equal([{ category_id: 'stalls', qty: 2 }]);
      expect(body.seats).to.deep.equal(['A1', 'A2']);
      expect(body.hold_id).to.be.a('string');
      expect(body.payment_token).to.be.a('string').with.length.of.at.least(22);
      expect(body.extensions_left).to.equal(3);
      const created = Date.parse(body.created_at);
      expect(Date.parse(body.expires_at) - created).to.be.closeTo(300_000, 1_500);

      const read = await api.getHold(body.hold_id);
      expect(read.status).to.equal(200);
      expect(read.body).to.include({ hold_id: body.hold_id, event_id: eventId, qty: 2, status: 'active', extensions_left: 3 });
      expect(read.body.seats).to.deep.equal(['A1', 'A2']);
      expect(read.body.items).to.deep.equal([{ category_id: 'stalls', qty: 2 }]);
      expect(read.body.expires_at).to.equal(body.expires_at);
      expect(read.body).to.not.have.property('payment_token');
      expect((await seatsOf(eventId))[0]).to.equal('HHAAAAAAAA');
    });

    it('all or nothing: 409 with `unavailable` listing every held or booked seat, and nothing is taken', async () => {
      const booked = await takeSeats(eventId, ['B5']);
      expect((await api.book(booked.hold_id, booked.payment_token)).status).to.equal(201);
      const before = await seatsOf(eventId);
      const response = await api.holdSeats({ event_id: eventId, seats: ['A3', 'A2', 'B5', 'C1', 'A1'] });
      expectProblem(response, 409);
      expect(sorted(response.body.unavailable)).to.deep.equal(['A1', 'A2', 'B5']);
      expect(await seatsOf(eventId), 'no seat taken').to.deep.equal(before);
      const one = await api.holdSeats({ event_id: eventId, seats: ['B5'] });
      expectProblem(one, 409);
      expect(one.body.unavailable).to.deep.equal(['B5']);
      await assertInvariants(api, eventId, { complete: true });
    });

    it('seats of several seated categories in one hold: items per category, seats in row order', async () => {
      const body = await takeSeats(eventId, ['C2', 'A9', 'B1', 'A10']);
      expect(body.seats).to.deep.equal(['A9', 'A10', 'B1', 'C2']);
      expect(body.qty).to.equal(4);
      expect(sorted(body.items.map((i: any) => `${i.category_id}:${i.qty}`))).to.deep.equal(['balcony:1', 'stalls:3']);
      const event = (await api.getEvent(eventId)).body;
      expect(event.categories.find((c: any) => c.category_id === 'balcony')).to.include({ held: 1 });
      await assertInvariants(api, eventId, { complete: true });
    });

    it('Idempotency-Key: a retried named-seat or items hold gets the first answer and takes the seats once', async () => {
      const id = await api.event([{ category_id: 'ga', capacity: 5 }, { category_id: 's', rows: [row('A', 4)] }]);
      for (const body of [{ seats: ['A1', 'A2'] }, { items: [{ category_id: 'ga', qty: 2 }, { category_id: 's', qty: 1 }] }]) {
        const headers = { 'Idempotency-Key': `k-${JSON.stringify(body).length}-${id}` };
        const first = await api.post('/holds', { event_id: id, ...body }, { headers });
        expect(first.status, JSON.stringify(first.body)).to.equal(201);
        const again = await api.post('/holds', { event_id: id, ...body }, { headers });
        expect(again.status).to.equal(201);
        expect(again.body.hold_id).to.equal(first.body.hold_id);
        expect(again.body.seats).to.deep.equal(first.body.seats);
        api.noteHold(first.body, first.body.payment_token);
      }
      expect((await api.getEvent(id)).body).to.include({ held: 5 });
      await assertInvariants(api, id, { complete: true });
    });

    it('row order is the order the rows were given, not alphabetical', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('B', 3), row('A', 3)] }]);
      expect((await takeSeats(id, ['A1', 'B3', 'A2'])).seats).to.deep.equal(['B3', 'A1', 'A2']);
    });

    it('a seat id the event does not have → 422 naming it; nothing is taken', async () => {
      const before = await seatsOf(eventId);
      for (const bad of [['A11'], ['A3', 'Z1'], ['C6'], ['a3']]) {
        const response = await api.holdSeats({ event_id: eventId, seats: bad });
        expectProblem(response, 422);
        expect(JSON.stringify(response.body.errors), `errors name ${bad.at(-1)}`).to.include(bad.at(-1));
      }
      // not even of the form row + number: 422, naming the seat or its place in the list
      for (const bad of [['A0'], ['A3', '12'], ['A-']]) {
        const response = await api.holdSeats({ event_id: eventId, seats: bad });
        expectProblem(response, 422);
        expect(JSON.stringify(response.body.errors)).to.satisfy(
          (errors: string) => errors.includes(bad.at(-1)!) || errors.includes(`seats.${bad.length - 1}`),
        );
      }
      expect(await seatsOf(eventId)).to.deep.equal(before);
      const general = await api.event([{ category_id: 'ga', capacity: 5 }]);
      expectProblem(await api.holdSeats({ event_id: general, seats: ['A1'] }), 422);
    });

    it('422: duplicate seats, no seats, 101 seats, more seats than the per-hold limit', async () => {
      expectProblem(await api.holdSeats({ event_id: eventId, seats: ['A5', 'A5'] }), 422);
      expectProblem(await api.holdSeats({ event_id: eventId, seats: [] }), 422);
      const many = Array.from({ length: 101 }, (_, i) => `S${i}`);
      expectProblem(await api.holdSeats({ event_id: eventId, seats: many }), 422);
      // MAX_QTY_PER_HOLD is 10
      expectProblem(await api.holdSeats({ event_id: eventId, seats: ['A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'B2', 'B3', 'B4', 'B6', 'B7'] }), 422);
      const limited = await api.event([{ category_id: 's', rows: [row('A', 10)] }], { max_per_hold: 3 });
      expectProblem(await api.holdSeats({ event_id: limited, seats: ['A1', 'A2', 'A3', 'A4'] }), 422);
      expect((await api.holdSeats({ event_id: limited, seats: ['A1', 'A2', 'A3'] })).status).to.equal(201);
    });
  });

  describe('best available (seated qty holds)', () => {
    it('adjacent: the run whose middle is closest to the row middle, ties to lower numbers, best row first', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 10), row('B', 10)] }]);
      expect(await bestAvailable(id, 2)).to.deep.equal(['A5', 'A6']);
      // runs 3-4 and 7-8 are both 2 from the middle 5.5: the lower numbers
      expect(await bestAvailable(id, 2)).to.deep.equal(['A3', 'A4']);
      expect(await bestAvailable(id, 2)).to.deep.equal(['A7', 'A8']);
      // row A has 1,2,9,10 left: no run of 3, so row B; 4-6 and 5-7 tie: lower
      expect(await bestAvailable(id, 3, { adjacent: true })).to.deep.equal(['B4', 'B5', 'B6']);
      // one seat: A2 and A9 are both 3.5 from the middle
      expect(await bestAvailable(id, 1)).to.deep.equal(['A2']);
      expect(await bestAvailable(id, 1)).to.deep.equal(['A9']);
      expect(await seatsOf(id)).to.deep.equal(['AHHHHHHHHA', 'AAAHHHAAAA']);
      await assertInvariants(api, id, { complete: true });
    });

    it('an odd row: the middle seat first; then the two sides tie and the lower run wins', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 5)] }]);
      expect(await bestAvailable(id, 1)).to.deep.equal(['A3']);
      expect(await bestAvailable(id, 2)).to.deep.equal(['A1', 'A2']);
      expect(await bestAvailable(id, 2)).to.deep.equal(['A4', 'A5']);
    });

    it('no adjacent run anywhere → 409 saying so, even with enough scattered seats; nothing taken', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 5), row('B', 3)] }]);
      await takeSeats(id, ['A3', 'B2']);
      const response = await api.holdSeats({ event_id: id, qty: 3 });
      expectProblem(response, 409);
      expect(response.body.detail).to.match(/adjacent/i);
      expect(response.body.detail).to.include('3');
      expect(await seatsOf(id)).to.deep.equal(['AAHAA', 'AHA']);
      expect((await api.getEvent(id)).body).to.include({ available: 6, held: 2 });
      await assertInvariants(api, id, { complete: true });
    });

    it('adjacent: false takes row by row, best row first, in each row the seats closest to its middle', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 5), row('B', 4)] }]);
      await takeSeats(id, ['A3']);
      // A2, A4 (1 from the middle), then A1 and A5 tie: A1
      expect(await bestAvailable(id, 3, { adjacent: false })).to.deep.equal(['A1', 'A2', 'A4']);
      // A5, then row B: B2, B3 (tie, both 0.5 away), then B1
      expect(await bestAvailable(id, 4, { adjacent: false })).to.deep.equal(['A5', 'B1', 'B2', 'B3']);
      await assertInvariants(api, id, { complete: true });
    });

    it('partial + adjacent: a run when there is one, else seats as adjacent:false does; then all that is left', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 5)] }]);
      // 2-3 and 3-4 tie at 0.5 from the middle 3: lower numbers
      expect(await bestAvailable(id, 2, { partial: true })).to.deep.equal(['A2', 'A3']);
      const scattered = await api.event([{ category_id: 's', rows: [row('A', 5)] }]);
      await takeSeats(scattered, ['A3']);
      const fallback = await api.holdSeats({ event_id: scattered, qty: 3, partial: true });
      expect(fallback.status, JSON.stringify(fallback.body)).to.equal(201);
      expect(fallback.body).to.include({ qty: 3, requested_qty: 3 });
      expect(fallback.body.seats).to.deep.equal(['A1', 'A2', 'A4']);
      const rest = await api.holdSeats({ event_id: scattered, qty: 3, partial: true });
      expect(rest.status, JSON.stringify(rest.body)).to.equal(201);
      expect(rest.body).to.include({ qty: 1, requested_qty: 3 });
      expect(rest.body.seats).to.deep.equal(['A5']);
      const none = await api.holdSeats({ event_id: scattered, qty: 1, partial: true });
      expectProblem(none, 409);
      expect(none.body.available).to.equal(0);
      await assertInvariants(api, scattered, { complete: true });
    });

    it('not enough seats in a seated category → 409 with `available`', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 4)] }]);
      const response = await api.holdSeats({ event_id: id, qty: 5, adjacent: false });
      expectProblem(response, 409);
      expect(response.body.available).to.equal(4);
      expect(response.body.detail).to.include('4');
    });

    it('never takes a seat of another category', async () => {
      const id = await api.event([
        { category_id: 'front', rows: [row('A', 4)] },
        { category_id: 'back', rows: [row('B', 4)] },
      ]);
      await takeSeats(id, ['A2', 'A3']);
      const response = await api.holdSeats({ event_id: id, category_id: 'front', qty: 3, adjacent: false });
      expectProblem(response, 409);
      expect(response.body.available).to.equal(2);
      expect(await bestAvailable(id, 2, { category_id: 'back' })).to.deep.equal(['B2', 'B3']);
      expect(await bestAvailable(id, 2, { category_id: 'front', adjacent: false })).to.deep.equal(['A1', 'A4']);
      await assertInvariants(api, id, { complete: true });
    });

    it('the FastAPI-style query parameters hold_ttl (minutes) and allot_partial mean ttl and partial', async () => {
      const id = await api.event([{ category_id: 's', rows: [row('A', 3)] }]);
      const response = await api.post('/holds?hold_ttl=2&allot_partial=true', { event_id: id, qty: 5 });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      expect(response.body).to.include({ qty: 3, requested_qty: 5 });
      expect(Date.parse(response.body.expires_at) - Date.parse(response.body.created_at)).to.be.closeTo(120_000, 1_500);
    });
  });

  describe('qty with categories', () => {
    it('category_id is required when the event has more than one category; an unknown one is 422', async () => {
      const id = await api.event([{ category_id: 'a', capacity: 5 }, { category_id: 'b', capacity: 5 }]);
      expectProblem(await api.holdSeats({ event_id: id, qty: 1 }), 422);
      const unknown = await api.holdSeats({ event_id: id, qty: 1, category_id: 'zz' });
      expectProblem(unknown, 422);
      expect(JSON.stringify(unknown.body.errors)).to.include('category_id');
      const ok = await api.holdSeats({ event_id: id, qty: 2, category_id: 'b' });
      expect(ok.status).to.equal(201);
      expect(ok.body.items).to.deep.equal([{ category_id: 'b', qty: 2 }]);
      const one = await api.event([{ category_id: 'only', capacity: 5 }]);
      const implicit = await api.holdSeats({ event_id: one, qty: 2 });
      expect(implicit.status, JSON.stringify(implicit.body)).to.equal(201);
      expect(implicit.body.items).to.deep.equal([{ category_id: 'only', qty: 2 }]);
    });

    it('a general category runs out on its own: 409 with its `available`, other categories untouched', async () => {
      const id = await api.event([{ category_id: 'a', capacity: 3 }, { category_id: 'b', capacity: 5 }]);
      expect((await api.holdSeats({ event_id: id, qty: 3, category_id: 'a' })).status).to.equal(201);
      const response = await api.holdSeats({ event_id: id, qty: 1, category_id: 'a' });
      expectProblem(response, 409);
      expect(response.body.available).to.equal(0);
      expect((await api.holdSeats({ event_id: id, qty: 5, category_id: 'b' })).status).to.equal(201);
      await assertInvariants(api, id, { complete: true });
    });
  });

  describe('items (several categories, all or nothing)', () => {
    let eventId: string;
    before(async () => {
      eventId = await api.event(
        [
          { category_id: 'ga', capacity: 5 },
          { category_id: 'stalls', rows: [row('A', 4), row('B', 4)] },
          { category_id: 'vip', capacity: 2 },
        ],
        { max_per_hold: 6 },
      );
    });

    it('201: qty is the total, items per category, seats of the seated lines', async () => {
      const response = await api.holdSeats({ event_id: eventId, items: [{ category_id: 'ga', qty: 2 }, { category_id: 'stalls', qty: 2 }] });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      expect(response.body).to.include({ qty: 4, requested_qty: 4, status: 'active' });
      expect(sorted(response.body.items.map((i: any) => `${i.category_id}:${i.qty}`))).to.deep.equal(['ga:2', 'stalls:2']);
      expect(response.body.seats).to.deep.equal(['A2', 'A3']);
      const event = (await api.getEvent(eventId)).body;
      expect(event.categories.map((c: any) => [c.category_id, c.available, c.held])).to.deep.equal([
        ['ga', 3, 2],
        ['stalls', 6, 2],
        ['vip', 2, 0],
      ]);
      await assertInvariants(api, eventId, { complete: true });
    });

    it('409 with `shortfall` naming every short category, and nothing taken', async () => {
      const before = (await api.getEvent(eventId)).body;
      const one = await api.holdSeats({ event_id: eventId, items: [{ category_id: 'ga', qty: 4 }, { category_id: 'vip', qty: 2 }] });
      expectProblem(one, 409);
      expect(one.body.shortfall).to.deep.equal([{ category_id: 'ga', requested: 4, available: 3 }]);
      const two = await api.holdSeats({ event_id: eventId, items: [{ category_id: 'vip', qty: 3 }, { category_id: 'ga', qty: 3 }] });
      // 6 is within max_per_hold; vip has 2, ga 3: only vip is short
      expectProblem(two, 409);
      expect(two.body.shortfall).to.deep.equal([{ category_id: 'vip', requested: 3, available: 2 }]);
      expect(two.body.detail).to.include('2');
      await api.holdSeats({ event_id: eventId, items: [{ category_id: 'ga', qty: 2 }] });
      const many = await api.holdSeats({ event_id: eventId, items: [{ category_id: 'ga', qty: 2 }, { category_id: 'vip', qty: 3 }] });
      expectProblem(many, 409);
      expect(sorted(many.body.shortfall.map((s: any) => JSON.stringify(s)))).to.deep.equal(
        sorted([{ category_id: 'ga', requested: 2, available: 1 }, { category_id: 'vip', requested: 3, available: 2 }].map((s) => JSON.stringify(s))),
      );
      const after = (await api.getEvent(eventId)).body;
      expect(after.categories.find((c: any) => c.category_id === 'vip').available).to.equal(2);
      expect(after.categories.find((c: any) => c.category_id === 'stalls').available).to.equal(
        before.categories.find((c: any) => c.category_id === 'stalls').available,
      );
      await assertInvariants(api, eventId, { complete: true });
    });

    it('a seated line takes an adjacent run when there is one, else scattered seats; short only when too few left', async () => {
      const id = await api.event([{ category_id: 'ga', capacity: 5 }, { category_id: 's', rows: [row('A', 5)] }]);
      await takeSeats(id, ['A3']);
      const scattered = await api.holdSeats({ event_id: id, items: [{ category_id: 's', qty: 3 }, { category_id: 'ga', qty: 1 }] });
      expect(scattered.status, JSON.stringify(scattered.body)).to.equal(201);
      expect(scattered.body.seats).to.deep.equal(['A1', 'A2', 'A4']);
      const short = await api.holdSeats({ event_id: id, items: [{ category_id: 's', qty: 2 }, { category_id: 'ga', qty: 1 }] });
      expectProblem(short, 409);
      expect(short.body.shortfall).to.deep.equal([{ category_id: 's', requested: 2, available: 1 }]);
      const id2 = await api.event([{ category_id: 'ga', capacity: 5 }, { category_id: 's', rows: [row('A', 6)] }]);
      const run = await api.holdSeats({ event_id: id2, items: [{ category_id: 's', qty: 2 }] });
      expect(run.body.seats).to.deep.equal(['A3', 'A4']);
      await assertInvariants(api, id, { complete: true });
    });

    it('the per-hold limit bounds the total of the items (422), not each line', async () => {
      const id = await api.event([{ category_id: 'a', capacity: 10 }, { category_id: 'b', capacity: 10 }], { max_per_hold: 5 });
      const over = await api.holdSeats({ event_id: id, items: [{ category_id: 'a', qty: 3 }, { category_id: 'b', qty: 3 }] });
      expectProblem(over, 422);
      expect((await api.getEvent(id)).body.held).to.equal(0);
      expect((await api.holdSeats({ event_id: id, items: [{ category_id: 'a', qty: 2 }, { category_id: 'b', qty: 3 }] })).status).to.equal(201);
      const service = await api.event([{ category_id: 'a', capacity: 10 }, { category_id: 'b', capacity: 10 }]);
      // MAX_QTY_PER_HOLD is 10
      expectProblem(await api.holdSeats({ event_id: service, items: [{ category_id: 'a', qty: 6 }, { category_id: 'b', qty: 5 }] }), 422);
      expectProblem(await api.holdSeats({ event_id: service, qty: 11, category_id: 'a' }), 422);
    });

    it('release and booking move every category back or forward exactly once', async () => {
      const id = await api.event([{ category_id: 'a', capacity: 4 }, { category_id: 's', rows: [row('A', 4)] }]);
      const first = await api.holdSeats({ event_id: id, items: [{ category_id: 'a', qty: 2 }, { category_id: 's', qty: 2 }] });
      const second = await api.holdSeats({ event_id: id, items: [{ category_id: 'a', qty: 1 }, { category_id: 's', qty: 1 }] });
      expect(first.status).to.equal(201);
      expect(second.status).to.equal(201);
      expect((await api.release(first.body.hold_id, first.body.payment_token)).status).to.equal(200);
      expect((await api.release(first.body.hold_id, first.body.payment_token)).status).to.equal(200);
      const booking = await api.book(second.body.hold_id, second.body.payment_token);
      expect(booking.status).to.equal(201);
      expect(booking.body).to.include({ hold_id: second.body.hold_id, event_id: id, qty: 2, status: 'confirmed' });
      expect(sorted(booking.body.items.map((i: any) => `${i.category_id}:${i.qty}`))).to.deep.equal(['a:1', 's:1']);
      expect(booking.body.seats).to.deep.equal(second.body.seats);
      const event = (await api.getEvent(id)).body;
      expect(event.categories.map((c: any) => [c.available, c.held, c.booked])).to.deep.equal([
        [3, 0, 1],
        [3, 0, 1],
      ]);
      await assertInvariants(api, id, { complete: true });
    });
  });

  describe('shapes that are 422', () => {
    let eventId: string;
    before(async () => {
      eventId = await api.event([{ category_id: 'a', capacity: 10 }, { category_id: 's', rows: [row('A', 5)] }]);
    });
    const shapes: [string, Record<string, unknown>][] = [
      ['none of qty, items, seats', {}],
      ['qty and items', { qty: 1, category_id: 'a', items: [{ category_id: 'a', qty: 1 }] }],
      ['qty and seats', { qty: 1, category_id: 's', seats: ['A1'] }],
      ['items and seats', { items: [{ category_id: 'a', qty: 1 }], seats: ['A1'] }],
      ['partial with items', { items: [{ category_id: 'a', qty: 1 }], partial: true }],
      ['adjacent with items', { items: [{ category_id: 'a', qty: 1 }], adjacent: false }],
      ['partial with seats', { seats: ['A1'], partial: true }],
      ['adjacent with seats', { seats: ['A1'], adjacent: true }],
      ['an empty items list', { items: [] }],
      ['21 items', { items: Array.from({ length: 21 }, (_, i) => ({ category_id: `c${i}`, qty: 1 })) }],
      ['the same category twice in items', { items: [{ category_id: 'a', qty: 1 }, { category_id: 'a', qty: 1 }] }],
      ['an items line of qty 0', { items: [{ category_id: 'a', qty: 0 }] }],
      ['an items line without qty', { items: [{ category_id: 'a' }] }],
      ['an unknown category in items', { items: [{ category_id: 'zz', qty: 1 }] }],
      ['a seat that is a number', { seats: [1] }],
      ['adjacent that is not a boolean', { qty: 1, category_id: 's', adjacent: 'yes' }],
    ];
    for (const [what, body] of shapes) {
      it(`${what} → 422, nothing taken`, async () => {
        const response = await api.holdSeats({ event_id: eventId, ...body });
        expectProblem(response, 422);
        expect(response.body.errors).to.be.an('array').that.is.not.empty;
      });
    }
    after(async () => {
      expect((await api.getEvent(eventId)).body).to.include({ held: 0, available: 15 });
    });
  });
});
