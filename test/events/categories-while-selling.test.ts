import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Categories while an event sells, over real HTTP: POST /events/{id}/categories adds one
// (general or seated, under the event's limits, Idempotency-Key), PATCH of a category changes
// its name, sales state or capacity (a raise serves the waiting list, a cut takes available
// seats only and is refused with `available` otherwise).

const UNKNOWN_EVENT = '00000000-0000-4000-8000-000000000000';

describe('categories added and changed while an event sells', () => {
  let app: TestService;
  let api: Api;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '20' }, { admin: true });
    api = app.api;
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app.stop());

  const asAdmin = (extra: Record<string, string> = {}) => ({ headers: { ...api.admin, ...extra } });
  const add = (eventId: string, body: unknown, headers: Record<string, string> = {}) =>
    api.post(`/events/${eventId}/categories`, body, asAdmin(headers));
  const change = (eventId: string, categoryId: string, body: unknown) =>
    api.patch(`/events/${eventId}/categories/${categoryId}`, body, asAdmin());
  const categoryOf = (event: any, id: string) => event.categories.find((c: any) => c.category_id === id);
  const invariants = (eventId: string) => assertInvariants(api, eventId, { redis: redisUrl, prefix: app.prefix });

  describe('POST /events/{event_id}/categories', () => {
    it('adds a general and a seated category: 201 the category as GET shows it, Location of the event; they sell at once', async () => {
      const eventId = await api.event([{ category_id: 'stalls', rows: [{ row: 'A', seats: 4 }] }]);
      expect((await api.holdSeats({ event_id: eventId, seats: ['A1'] })).status).to.equal(201);

      const standing = await add(eventId, { category_id: 'standing', name: 'Standing', capacity: 50 });
      expect(standing.status, JSON.stringify(standing.body)).to.equal(201);
      expect(standing.headers.get('location')).to.equal(`/events/${eventId}`);
      expect(standing.body).to.deep.equal({
        category_id: 'standing',
        name: 'Standing',
        kind: 'general',
        sales: 'open',
        total: 50,
        available: 50,
        held: 0,
        booked: 0,
        blocked: 0,
        waiting: 0,
        purchasable: 50,
      });
      const balcony = await add(eventId, { category: { category_id: 'balcony', rows: [{ row: 'BA', seats: 3 }, { row: 'BB', seats: 2 }] } });
      expect(balcony.status).to.equal(201);
      expect(balcony.body).to.include({ category_id: 'balcony', name: 'balcony', kind: 'seated', total: 5, available: 5 });
      expect(categoryOf((await api.getEvent(eventId)).body, 'balcony')).to.deep.equal(balcony.body);

      const read = (await api.getEvent(eventId)).body;
      expect(read.categories.map((c: any) => c.category_id)).to.deep.equal(['stalls', 'standing', 'balcony']);
      expect(read).to.include({ total: 59, available: 58, held: 1 });
      const seatRows = (await api.seats(eventId)).body.rows.map((r: any) => [r.row, r.category_id, r.status]);
      expect(seatRows).to.deep.equal([['A', 'stalls', 'HAAA'], ['BA', 'balcony', 'AAA'], ['BB', 'balcony', 'AA']]);
      expect((await api.holdSeats({ event_id: eventId, qty: 2, category_id: 'balcony' })).body.seats).to.deep.equal(['BA1', 'BA2']);
      expect((await api.holdSeats({ event_id: eventId, items: [{ category_id: 'standing', qty: 3 }] })).status).to.equal(201);

      const added = (await api.readLog(eventId)).filter((entry) => entry.type === 'category.added');
      expect(added.map((e) => [e.category_id, e.qty, e.kind])).to.deep.equal([['standing', 50, 'general'], ['balcony', 5, 'seated']]);
      await invariants(eventId);
    });

    it('a category added paused is not on sale until its PATCH opens it', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
      const added = await add(eventId, { category_id: 'late', capacity: 5, sales: 'paused' });
      expect(added.body.sales).to.equal('paused');
      expectProblem(await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'late' }), 409, 'sales-paused');
      expect((await change(eventId, 'late', { sales: 'open' })).body.sales).to.equal('open');
      expect((await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'late' })).status).to.equal(201);
      await invariants(eventId);
    });

    it('an id the event has → 409 category-exists, and nothing changes', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 2 }, { category_id: 'seated', rows: [{ row: 'A', seats: 2 }] }]);
      const before = (await api.getEvent(eventId)).body;
      for (const body of [{ category_id: 'ga', capacity: 9 }, { category_id: 'seated', rows: [{ row: 'Z', seats: 2 }] }]) {
        const refused = await add(eventId, body);
        expectProblem(refused, 409, 'category-exists');
        expect(refused.body.detail).to.include(body.category_id);
      }
      const single = (await api.createEventAsAdmin({ total_seats: 3 })).event_id;
      expectProblem(await add(single, { category_id: 'general', capacity: 1 }), 409, 'category-exists');
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);
      expect((await api.seats(eventId)).body.rows.map((r: any) => r.row)).to.deep.equal(['A']);
    });

    it("the event's limits → 422 naming the field: a row name taken, 100 categories, 1,000,000 seats, 100,000 seated", async () => {
      const eventId = await api.event([{ category_id: 'stalls', rows: [{ row: 'A', seats: 2 }] }]);
      const taken = await add(eventId, { category_id: 'more', rows: [{ row: 'B', seats: 1 }, { row: 'A', seats: 1 }] });
      expectProblem(taken, 422, 'invalid-request');
      expect(taken.body.errors.map((e: any) => e.field)).to.deep.equal(['rows']);
      expect(taken.body.detail).to.include('"A"');

      const hundred = await api.event(Array.from({ length: 100 }, (_, i) => ({ category_id: `c${i}`, capacity: 1 })));
      const tooMany = await add(hundred, { category_id: 'c100', capacity: 1 });
      expectProblem(tooMany, 422, 'invalid-request');
      expect(tooMany.body.errors.map((e: any) => e.field)).to.deep.equal(['categories']);

      const full = await api.event([{ category_id: 'ga', capacity: 999_999 }]);
      expect((await add(full, { category_id: 'one', capacity: 1 })).status, 'exactly 1,000,000 is allowed').to.equal(201);
      const over = await add(full, { category_id: 'two', capacity: 1 });
      expectProblem(over, 422, 'invalid-request');
      expect(over.body.errors.map((e: any) => e.field)).to.deep.equal(['capacity']);

      const rows = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ row: `${prefix}${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}`, seats: 1000 }));
      const seated = await api.event([{ category_id: 'hall', rows: rows('H', 100) }]);
      const seatedOver = await add(seated, { category_id: 'gallery', rows: [{ row: 'G', seats: 1 }] });
      expectProblem(seatedOver, 422, 'invalid-request');
      expect(seatedOver.body.errors.map((e: any) => e.field)).to.deep.equal(['rows']);
      for (const id of [eventId, hundred, full, seated]) {
        const log = await api.readLog(id);
        expect(log.filter((e) => e.type === 'category.added').length, 'no category added by a refusal').to.equal(id === full ? 1 : 0);
      }
      expect((await api.seats(seated)).body.rows.map((r: any) => r.category_id)).to.not.include('gallery');
      await invariants(eventId);
    });

    it('bad bodies → 422 naming the field; unknown event → 404; without the admin token → 401', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
      const cases: [unknown, string][] = [
        [{}, 'category_id'],
        [{ category_id: 'x' }, 'capacity'],
        [{ category_id: 'x', capacity: 2, rows: [{ row: 'A', seats: 1 }] }, 'capacity'],
        [{ category_id: 'Bad Id', capacity: 2 }, 'category_id'],
        [{ category_id: 'x', capacity: 0 }, 'capacity'],
        [{ category_id: 'x', capacity: 1_000_001 }, 'capacity'],
        [{ category_id: 'x', rows: [{ row: 'A1', seats: 1 }] }, 'rows.0.row'],
        [{ category_id: 'x', rows: [{ row: 'A', seats: 1 }, { row: 'A', seats: 2 }] }, 'rows.1.row'],
        [{ category_id: 'x', rows: [{ row: 'A', seats: 1001 }] }, 'rows.0.seats'],
        [{ category_id: 'x', capacity: 2, sales: 'soon' }, 'sales'],
        [{ category_id: 'x', capacity: 2, quotas: [] }, 'quotas'],
        [{ category_id: null, capacity: 2 }, 'category_id'],
        ['standing', 'body'],
      ];
      for (const [body, field] of cases) {
        const response = await add(eventId, body);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body)).to.include(field);
      }
      expect((await api.getEvent(eventId)).body.categories).to.have.length(1);
      expectProblem(await add(UNKNOWN_EVENT, { category_id: 'x', capacity: 1 }), 404, 'not-found');
      expectProblem(await add('not-an-event', { category_id: 'x', capacity: 1 }), 404, 'not-found');
      expectProblem(await api.post(`/events/${eventId}/categories`, { category_id: 'x', capacity: 1 }), 401, 'unauthorized');
      expect(await api.readLog(eventId)).to.deep.equal([]);
    });

    it('Idempotency-Key: the same key and body replay the first 201 and add nothing more; another body → 422', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
      const key = { 'Idempotency-Key': randomUUID() };
      const body = { category_id: 'second', rows: [{ row: 'S', seats: 4 }] };
      const first = await add(eventId, body, key);
      expect(first.status).to.equal(201);
      const again = await add(eventId, body, key);
      expect(again.status).to.equal(201);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      expectProblem(await add(eventId, { ...body, name: 'Other' }, key), 422, 'idempotency-mismatch');
      // without the key, the same body again is a 409: it exists
      expectProblem(await add(eventId, body), 409, 'category-exists');
      expect((await api.readLog(eventId)).filter((e) => e.type === 'category.added')).to.have.length(1);
      await invariants(eventId);
    });
  });

  describe('PATCH /events/{event_id}/categories/{category_id}', () => {
    it('a name, and a larger capacity: more available seats, the waiting list served in the same step', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 3 }, { category_id: 'other', capacity: 1 }]);
      const hold = await api.holdSeats({ event_id: eventId, qty: 3, category_id: 'ga' });
      const first = await api.join(eventId, { qty: 2, category_id: 'ga' });
      const second = await api.join(eventId, { qty: 2, category_id: 'ga' });
      expect([first.body.status, second.body.status]).to.deep.equal(['waiting', 'waiting']);

      const renamed = await change(eventId, 'ga', { name: 'Floor' });
      expect(renamed.status).to.equal(200);
      expect(renamed.body).to.include({ name: 'Floor', total: 3 });

      // 3 more seats: the first entry (2) is offered at once, the second (2) waits for 1 more
      const raised = await change(eventId, 'ga', { category: { capacity: 6 } });
      expect(raised.status, JSON.stringify(raised.body)).to.equal(200);
      expect(raised.body).to.include({ total: 6, available: 1, held: 5, waiting: 1 });
      expect(raised.body).to.deep.equal(categoryOf((await api.getEvent(eventId)).body, 'ga'));
      expect((await api.entryWithOffer(first.body.entry_id, first.body.entry_token)).body.status).to.equal('offered');
      expect((await api.getEntry(second.body.entry_id)).body).to.include({ status: 'waiting', position: 1 });
      expect((await api.release(hold.body.hold_id, hold.body.payment_token)).status).to.equal(200);
      expect((await api.entryWithOffer(second.body.entry_id, second.body.entry_token)).body.status).to.equal('offered');

      const log = (await api.readLog(eventId)).filter((e) => e.type === 'capacity.changed');
      expect(log.map((e) => [e.category_id, e.qty, e.delta, e.capacity])).to.deep.equal([['ga', 3, 3, 6]]);
      await invariants(eventId);
    });

    it('a raise while the category is not on sale makes no offer; the entry is served when it reopens', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 1 }]);
      await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'ga' });
      const entry = await api.join(eventId, { qty: 1, category_id: 'ga' });
      await change(eventId, 'ga', { sales: 'paused' });
      const raised = await change(eventId, 'ga', { capacity: 2 });
      expect(raised.body).to.include({ available: 1, waiting: 1 });
      const reopened = await change(eventId, 'ga', { sales: 'open' });
      expect(reopened.body).to.include({ available: 0, held: 2, waiting: 0 });
      expect((await api.getEntry(entry.body.entry_id)).body.status).to.equal('offered');
      await invariants(eventId);
    });

    it('a smaller capacity takes available seats only; a cut larger than available → 409 with available, nothing changes', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 10 }]);
      const held = await api.holdSeats({ event_id: eventId, qty: 3, category_id: 'ga' });
      const booked = await api.holdSeats({ event_id: eventId, qty: 2, category_id: 'ga' });
      await api.book(booked.body.hold_id, booked.body.payment_token);
      // 5 available: a cut of 6 (to 4) is refused
      const before = (await api.getEvent(eventId)).body;
      const refused = await change(eventId, 'ga', { capacity: 4 });
      expectProblem(refused, 409, 'capacity-cut-refused');
      expect(refused.body.available).to.equal(5);
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);

      const cut = await change(eventId, 'ga', { capacity: 5 });
      expect(cut.status).to.equal(200);
      expect(cut.body).to.include({ total: 5, available: 0, held: 3, booked: 2 });
      expect((await api.release(held.body.hold_id, held.body.payment_token)).status).to.equal(200);
      expect(categoryOf((await api.getEvent(eventId)).body, 'ga')).to.include({ total: 5, available: 3 });
      const log = (await api.readLog(eventId)).filter((e) => e.type === 'capacity.changed');
      expect(log.map((e) => [e.qty, e.delta, e.capacity])).to.deep.equal([[5, -5, 5]]);
      await invariants(eventId);
    });

    it("a seated category's capacity, or one past the event's 1,000,000 seats → 422; bad bodies → 422; unknown → 404; no token → 401", async () => {
      const eventId = await api.event([
        { category_id: 'ga', capacity: 999_990 },
        { category_id: 'seated', rows: [{ row: 'A', seats: 2 }] },
      ]);
      const before = (await api.getEvent(eventId)).body;
      const seated = await change(eventId, 'seated', { capacity: 3 });
      expectProblem(seated, 422, 'invalid-request');
      expect(seated.body.errors.map((e: any) => e.field)).to.deep.equal(['capacity']);
      const over = await change(eventId, 'ga', { capacity: 999_999 });
      expectProblem(over, 422, 'invalid-request');
      expect(over.body.errors.map((e: any) => e.field)).to.deep.equal(['capacity']);
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ category: {} }, 'name'],
        [{ capacity: 0 }, 'capacity'],
        [{ capacity: 1_000_001 }, 'capacity'],
        [{ capacity: '5' }, 'capacity'],
        [{ sales: 'closed' }, 'sales'],
        [{ name: '' }, 'name'],
        [{ rows: [{ row: 'B', seats: 1 }] }, 'rows'],
        [{ category_id: 'ga2' }, 'category_id'],
      ];
      for (const [body, field] of cases) {
        const response = await change(eventId, 'ga', body);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body)).to.include(field);
      }
      expectProblem(await change(eventId, 'nope', { name: 'x' }), 404, 'not-found');
      expectProblem(await change(eventId, 'Not%20an%20id', { name: 'x' }), 404, 'not-found');
      expectProblem(await change(UNKNOWN_EVENT, 'ga', { name: 'x' }), 404, 'not-found');
      expectProblem(await api.patch(`/events/${eventId}/categories/ga`, { name: 'x' }), 401, 'unauthorized');
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);
      expect(await api.readLog(eventId)).to.deep.equal([]);
    });
  });
});
