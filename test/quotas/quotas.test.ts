import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Quotas over real HTTP: set at creation (POST /events `quotas`) and by PUT/DELETE
// /events/{id}/quotas/{quota_id}; every hold, offer and block that takes seats out of sale
// needs room in every quota of their categories; used, available and purchasable show it.

describe('quotas', () => {
  let app: TestService;
  let api: Api;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '50' }, { admin: true });
    api = app.api;
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app.stop());

  const asAdmin = () => ({ headers: api.admin });
  const invariants = (eventId: string) => assertInvariants(api, eventId, { redis: redisUrl, prefix: app.prefix });
  const categoryOf = (event: any, id: string) => event.categories.find((c: any) => c.category_id === id);
  const put = (eventId: string, quotaId: string, body: unknown) => api.put(`/events/${eventId}/quotas/${quotaId}`, body, asAdmin());
  const remove = (eventId: string, quotaId: string) => api.delete(`/events/${eventId}/quotas/${quotaId}`, undefined, asAdmin());
  const quotaOf = async (eventId: string, quotaId: string) =>
    (await api.getEvent(eventId)).body.quotas.find((q: any) => q.quota_id === quotaId);
  const purchasable = async (eventId: string) =>
    Object.fromEntries((await api.getEvent(eventId)).body.categories.map((c: any) => [c.category_id, c.purchasable]));
  const hold = async (body: Record<string, unknown>) => {
    const response = await api.holdSeats(body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };
  /** early and regular standing share a hall of 10; vip (seated) is on its own. */
  const hall = (quotas: unknown[] = [{ quota_id: 'hall', capacity: 10, categories: ['early', 'regular'] }]) =>
    api.event(
      [
        { category_id: 'early', capacity: 8 },
        { category_id: 'regular', capacity: 8 },
        { category_id: 'vip', rows: [{ row: 'V', seats: 6 }] },
      ],
      { quotas },
    );

  describe('at creation (POST /events)', () => {
    it('201 lists the quotas in the order given; GET shows used, available and each category\'s purchasable', async () => {
      const created = await api.createEventAsAdmin({
        name: 'Club night',
        categories: [
          { category_id: 'early', capacity: 300 },
          { category_id: 'regular', capacity: 400 },
          { category_id: 'vip', capacity: 50 },
        ],
        quotas: [
          { quota_id: 'hall', capacity: 500, categories: ['early', 'regular'] },
          { quota_id: 'early-cap', capacity: 100, categories: ['early'] },
        ],
      });
      expect(created.quotas).to.deep.equal([
        { quota_id: 'hall', capacity: 500, categories: ['early', 'regular'] },
        { quota_id: 'early-cap', capacity: 100, categories: ['early'] },
      ]);
      const read = (await api.getEvent(created.event_id)).body;
      expect(read.quotas).to.deep.equal([
        { quota_id: 'hall', capacity: 500, categories: ['early', 'regular'], used: 0, available: 500 },
        { quota_id: 'early-cap', capacity: 100, categories: ['early'], used: 0, available: 100 },
      ]);
      expect(read.categories.map((c: any) => [c.category_id, c.available, c.purchasable])).to.deep.equal([
        ['early', 300, 100],
        ['regular', 400, 400],
        ['vip', 50, 50],
      ]);
      // with total_seats alone, the one category is `general`
      const single = await api.createEventAsAdmin({ total_seats: 10, quotas: [{ quota_id: 'q', capacity: 4, categories: ['general'] }] });
      expect(categoryOf((await api.getEvent(single.event_id)).body, 'general').purchasable).to.equal(4);
      // none given: an empty list
      expect((await api.createEventAsAdmin({ total_seats: 1 })).quotas).to.deep.equal([]);
      await invariants(created.event_id);
    });

    it('bad quotas → 422 naming the field, and no event is made', async () => {
      const categories = [{ category_id: 'a', capacity: 5 }, { category_id: 'b', capacity: 5 }];
      const quota = (extra: Record<string, unknown>) => ({ quota_id: 'q', capacity: 5, categories: ['a'], ...extra });
      const many = Array.from({ length: 51 }, (_, i) => quota({ quota_id: `q${i}` }));
      const cases: [Record<string, unknown>, string][] = [
        [{ categories, quotas: [quota({ categories: ['a', 'nope'] })] }, 'quotas.0.categories.1'],
        [{ total_seats: 5, quotas: [quota({ categories: ['a'] })] }, 'quotas.0.categories.0'],
        [{ categories, quotas: [quota({}), quota({ categories: ['b'] })] }, 'quotas.1.quota_id'],
        [{ categories, quotas: many }, 'quotas'],
        [{ categories, quotas: [quota({ categories: ['a', 'a'] })] }, 'quotas.0.categories.1'],
        [{ categories, quotas: [quota({ categories: [] })] }, 'quotas.0.categories'],
        [{ categories, quotas: [quota({ quota_id: 'Hall' })] }, 'quotas.0.quota_id'],
        [{ categories, quotas: [quota({ quota_id: 'x'.repeat(33) })] }, 'quotas.0.quota_id'],
        [{ categories, quotas: [quota({ capacity: 0 })] }, 'quotas.0.capacity'],
        [{ categories, quotas: [quota({ capacity: 1_000_001 })] }, 'quotas.0.capacity'],
        [{ categories, quotas: [quota({ extra: true })] }, 'quotas.0.extra'],
        [{ categories, quotas: [{ capacity: 5, categories: ['a'] }] }, 'quotas.0.quota_id'],
        [{ categories, quotas: null }, 'quotas'],
        [{ categories, sales: 'closed' }, 'sales'],
        [{ categories: [{ category_id: 'a', capacity: 5, sales: 'later' }] }, 'categories.0.sales'],
      ];
      const before = await api.get('/events?limit=100', asAdmin());
      for (const [body, field] of cases) {
        const response = await api.post('/events', { name: 'Bad', ...body }, asAdmin());
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body).slice(0, 200)).to.include(field);
      }
      const after = await api.get('/events?limit=100', asAdmin());
      expect(after.body.events).to.deep.equal(before.body.events);
      // 50 is allowed
      const fifty = await api.post('/events', { name: 'Fifty', categories, quotas: many.slice(0, 50) }, asAdmin());
      expect(fifty.status, JSON.stringify(fifty.body).slice(0, 300)).to.equal(201);
      expect(fifty.body.quotas).to.have.length(50);
    });
  });

  describe('PUT and DELETE /events/{event_id}/quotas/{quota_id}', () => {
    it('PUT creates a quota counting what its categories use now, and replaces it; GET shows use and purchasable; each PUT is logged', async () => {
      const eventId = await hall([]);
      await hold({ event_id: eventId, qty: 3, category_id: 'early' });
      const booked = await hold({ event_id: eventId, qty: 2, category_id: 'regular' });
      await api.book(booked.hold_id, booked.payment_token);
      await api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'regular', qty: 1 }] }, asAdmin());
      const created = await put(eventId, 'hall', { capacity: 10, categories: ['early', 'regular'] });
      expect(created.status, JSON.stringify(created.body)).to.equal(200);
      expect(created.body).to.deep.equal({ quota_id: 'hall', capacity: 10, categories: ['early', 'regular'], used: 6, available: 4 });
      expect(await quotaOf(eventId, 'hall')).to.deep.equal(created.body);
      expect(await purchasable(eventId)).to.deep.equal({ early: 4, regular: 4, vip: 6 });

      const replaced = await put(eventId, 'hall', { quota: { capacity: 4, categories: ['early'] } });
      expect(replaced.body).to.deep.equal({ quota_id: 'hall', capacity: 4, categories: ['early'], used: 3, available: 1 });
      expect(await purchasable(eventId)).to.deep.equal({ early: 1, regular: 5, vip: 6 });
      const entries = (await api.readLog(eventId)).filter((e) => e.type === 'quota.changed');
      expect(entries.map((e) => [e.category_id, e.quota_id, e.capacity, e.categories])).to.deep.equal([
        [null, 'hall', 10, ['early', 'regular']],
        [null, 'hall', 4, ['early']],
      ]);
      await invariants(eventId);
    });

    it('PUT below what its categories use → 409 quota-in-use with used; nothing changes', async () => {
      const eventId = await hall();
      await hold({ event_id: eventId, qty: 4, category_id: 'early' });
      await hold({ event_id: eventId, qty: 3, category_id: 'regular' });
      const before = (await api.getEvent(eventId)).body;
      const refused = await put(eventId, 'hall', { capacity: 6, categories: ['early', 'regular'] });
      expectProblem(refused, 409, 'quota-in-use');
      expect(refused.body.used).to.equal(7);
      const fresh = await put(eventId, 'early-cap', { capacity: 3, categories: ['early'] });
      expectProblem(fresh, 409, 'quota-in-use');
      expect(fresh.body.used).to.equal(4);
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);
      expect((await api.readLog(eventId)).filter((e) => e.type === 'quota.changed')).to.deep.equal([]);
      expect((await put(eventId, 'hall', { capacity: 7, categories: ['early', 'regular'] })).body.available).to.equal(0);
      await invariants(eventId);
    });

    it('a 51st quota → 422; unknown categories → 422 naming categories; bad bodies and quota ids → 422; nothing changes', async () => {
      const eventId = await api.event([{ category_id: 'a', capacity: 5 }, { category_id: 'b', capacity: 5 }]);
      for (let i = 0; i < 50; i++) expect((await put(eventId, `q${i}`, { capacity: 5, categories: ['a'] })).status).to.equal(200);
      const fiftyFirst = await put(eventId, 'q50', { capacity: 5, categories: ['a'] });
      expectProblem(fiftyFirst, 422, 'invalid-request');
      expect(fiftyFirst.body.errors.map((e: any) => e.field)).to.deep.equal(['quota_id']);
      expect((await put(eventId, 'q49', { capacity: 6, categories: ['a', 'b'] })).status, 'one of the 50 replaced').to.equal(200);
      const unknown = await put(eventId, 'q0', { capacity: 5, categories: ['a', 'nope'] });
      expectProblem(unknown, 422, 'invalid-request');
      expect(unknown.body.errors).to.deep.equal([{ field: 'categories', message: 'no category nope in this event' }]);
      const cases: [string, unknown, string][] = [
        ['q0', {}, 'capacity'],
        ['q0', { capacity: 0, categories: ['a'] }, 'capacity'],
        ['q0', { capacity: 1_000_001, categories: ['a'] }, 'capacity'],
        ['q0', { capacity: 5 }, 'categories'],
        ['q0', { capacity: 5, categories: [] }, 'categories'],
        ['q0', { capacity: 5, categories: ['a', 'a'] }, 'categories.1'],
        ['q0', { capacity: 5, categories: Array.from({ length: 101 }, (_, i) => `c${i}`) }, 'categories'],
        ['q0', { capacity: 5, categories: ['A'] }, 'categories.0'],
        ['q0', { capacity: 5, categories: ['a'], quota_id: 'q0' }, 'quota_id'],
        ['Hall', { capacity: 5, categories: ['a'] }, 'quota_id'],
        ['x'.repeat(33), { capacity: 5, categories: ['a'] }, 'quota_id'],
        ['a.b', { capacity: 5, categories: ['a'] }, 'quota_id'],
        ['%20', { capacity: 5, categories: ['a'] }, 'quota_id'],
      ];
      const before = (await api.getEvent(eventId)).body;
      for (const [quotaId, body, field] of cases) {
        const response = await put(eventId, quotaId, body);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), `${quotaId} ${JSON.stringify(body).slice(0, 80)}`).to.include(field);
      }
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);
    });

    it('DELETE → 200, the quota is gone and its room serves the waiting list; again, or an unknown or malformed id → 404', async () => {
      const eventId = await hall();
      await hold({ event_id: eventId, qty: 6, category_id: 'early' });
      await hold({ event_id: eventId, qty: 4, category_id: 'regular' });
      const entry = await api.join(eventId, { qty: 2, category_id: 'regular' });
      expect(entry.body.status, 'regular has seats, the hall has no room').to.equal('waiting');
      const removed = await remove(eventId, 'hall');
      expect(removed.status).to.equal(200);
      expect(removed.body).to.deep.equal({ event_id: eventId, quota_id: 'hall', deleted: true });
      const event = (await api.getEvent(eventId)).body;
      expect(event.quotas).to.deep.equal([]);
      expect(categoryOf(event, 'regular')).to.include({ held: 6, waiting: 0, purchasable: 2 });
      expect((await api.getEntry(entry.body.entry_id)).body.status).to.equal('offered');
      const last = (await api.readLog(eventId)).filter((e) => e.type === 'quota.changed').at(-1);
      expect(last).to.include({ quota_id: 'hall', removed: true, category_id: null });
      for (const quotaId of ['hall', 'never', 'Bad.Id', 'x'.repeat(40)]) expectProblem(await remove(eventId, quotaId), 404, 'not-found');
      await invariants(eventId);
    });

    it('a larger capacity serves the waiting lists of its categories', async () => {
      const eventId = await hall();
      await hold({ event_id: eventId, qty: 8, category_id: 'early' });
      await hold({ event_id: eventId, qty: 2, category_id: 'regular' });
      const entry = await api.join(eventId, { qty: 3, category_id: 'regular' });
      expect(entry.body.status).to.equal('waiting');
      const raised = await put(eventId, 'hall', { capacity: 13, categories: ['early', 'regular'] });
      expect(raised.body).to.include({ used: 13, available: 0 });
      expect((await api.getEntry(entry.body.entry_id)).body.status).to.equal('offered');
      await invariants(eventId);
    });

    it('unknown event → 404; without the admin token → 401', async () => {
      expectProblem(await put('00000000-0000-4000-8000-000000000000', 'q', { capacity: 1, categories: ['a'] }), 404, 'not-found');
      expectProblem(await remove('00000000-0000-4000-8000-000000000000', 'q'), 404, 'not-found');
      const eventId = await hall();
      expectProblem(await api.put(`/events/${eventId}/quotas/hall`, { capacity: 20, categories: ['early'] }), 401, 'unauthorized');
      expectProblem(await api.delete(`/events/${eventId}/quotas/hall`), 401, 'unauthorized');
      expect(await quotaOf(eventId, 'hall')).to.include({ capacity: 10 });
    });
  });

  describe('holds, offers and blocks against quotas', () => {
    it('qty: purchasable is the most one hold takes; more → 409 quota-exceeded naming the quota, available = purchasable; partial takes what the quota allows', async () => {
      const eventId = await hall();
      await hold({ event_id: eventId, qty: 7, category_id: 'early' });
      expect(await purchasable(eventId)).to.deep.equal({ early: 1, regular: 3, vip: 6 });
      const refused = await api.post('/holds', { event_id: eventId, qty: 4, category_id: 'regular' });
      expectProblem(refused, 409, 'quota-exceeded');
      expect(refused.body).to.deep.include({ available: 3, quota_shortfall: [{ quota_id: 'hall', requested: 4, available: 3 }] });
      const partial = await hold({ event_id: eventId, qty: 5, category_id: 'regular', partial: true });
      expect(partial).to.include({ qty: 3, requested_qty: 5 });
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 10, available: 0 });
      await invariants(eventId);
    });

    it('items over categories sharing one quota count together; quota_shortfall names every short quota; short seats and quotas are named at once', async () => {
      const eventId = await hall([
        { quota_id: 'hall', capacity: 10, categories: ['early', 'regular'] },
        { quota_id: 'early-cap', capacity: 5, categories: ['early'] },
        { quota_id: 'vip-cap', capacity: 2, categories: ['vip'] },
      ]);
      const both = await api.post('/holds', { event_id: eventId, items: [{ category_id: 'early', qty: 6 }, { category_id: 'regular', qty: 5 }] });
      expectProblem(both, 409, 'quota-exceeded');
      expect(both.body.quota_shortfall).to.deep.equal([
        { quota_id: 'hall', requested: 11, available: 10 },
        { quota_id: 'early-cap', requested: 6, available: 5 },
      ]);
      expect(both.body).to.not.have.property('shortfall');
      const withSeats = await api.post('/holds', { event_id: eventId, items: [{ category_id: 'vip', qty: 3 }, { category_id: 'regular', qty: 9 }] });
      expectProblem(withSeats, 409, 'not-enough-seats');
      expect(withSeats.body.shortfall).to.deep.equal([{ category_id: 'regular', requested: 9, available: 8 }]);
      expect(withSeats.body.quota_shortfall).to.deep.equal([{ quota_id: 'vip-cap', requested: 3, available: 2 }]);
      expect((await api.getEvent(eventId)).body.held).to.equal(0);
      const fits = await hold({ event_id: eventId, items: [{ category_id: 'early', qty: 5 }, { category_id: 'regular', qty: 5 }] });
      expect(fits.qty).to.equal(10);
      expect(await purchasable(eventId)).to.deep.equal({ early: 0, regular: 0, vip: 2 });
      await invariants(eventId);
    });

    it('named seats: free seats with no room → 409 quota-exceeded naming the quota; taken seats are named first', async () => {
      const eventId = await hall([{ quota_id: 'vip-cap', capacity: 2, categories: ['vip'] }]);
      await hold({ event_id: eventId, seats: ['V1'] });
      const refused = await api.post('/holds', { event_id: eventId, seats: ['V3', 'V4'] });
      expectProblem(refused, 409, 'quota-exceeded');
      expect(refused.body.quota_shortfall).to.deep.equal([{ quota_id: 'vip-cap', requested: 2, available: 1 }]);
      const taken = await api.post('/holds', { event_id: eventId, seats: ['V1', 'V2', 'V3'] });
      expectProblem(taken, 409, 'seats-unavailable');
      expect(taken.body.unavailable).to.deep.equal(['V1']);
      expect((await hold({ event_id: eventId, seats: ['V4'] })).seats).to.deep.equal(['V4']);
      await invariants(eventId);
    });

    it('blocks take room (refused with quota_shortfall when there is none); a hold or booking from a block and a booking take no more', async () => {
      const eventId = await hall();
      const refused = await api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'early', qty: 6 }, { category_id: 'regular', qty: 5 }] }, asAdmin());
      expectProblem(refused, 409, 'quota-exceeded');
      expect(refused.body.quota_shortfall).to.deep.equal([{ quota_id: 'hall', requested: 11, available: 10 }]);
      const house = await api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'early', qty: 4 }] }, asAdmin());
      expect(house.status).to.equal(201);
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 4, available: 6 });
      const fromBlock = await api.holdSeats({ event_id: eventId, block_id: house.body.block_id, qty: 4 }, api.admin);
      expect(fromBlock.status).to.equal(201);
      expect(await quotaOf(eventId, 'hall'), 'blocked → held takes no more room').to.include({ used: 4 });
      await api.book(fromBlock.body.hold_id, fromBlock.body.payment_token);
      const public_ = await hold({ event_id: eventId, qty: 6, category_id: 'regular' });
      await api.book(public_.hold_id, public_.payment_token);
      expect(await quotaOf(eventId, 'hall'), 'held → booked takes no more room').to.include({ used: 10, available: 0 });
      expectProblem(await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'early' }), 409, 'quota-exceeded');
      await invariants(eventId);
    });

    it('every way seats come back gives the room back once: release, expiry, cancellation, a block released', async () => {
      const eventId = await hall();
      const released = await hold({ event_id: eventId, qty: 2, category_id: 'early' });
      const expiring = await hold({ event_id: eventId, qty: 2, category_id: 'regular', ttl: 1 });
      const toCancel = await hold({ event_id: eventId, qty: 2, category_id: 'early' });
      const booking = await api.book(toCancel.hold_id, toCancel.payment_token);
      const house = await api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'regular', qty: 3 }] }, asAdmin());
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 9 });
      await api.release(released.hold_id, released.payment_token);
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 7 });
      await eventually(async () => (await api.getHold(expiring.hold_id)).body.status === 'expired');
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 5 });
      await api.cancel(booking.body.booking_id, toCancel.payment_token);
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 3 });
      await api.post(`/blocks/${house.body.block_id}/release`, undefined, asAdmin());
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 0, available: 10 });
      // and again: nothing more is given back
      await api.release(released.hold_id, released.payment_token);
      await api.cancel(booking.body.booking_id, toCancel.payment_token);
      await api.post(`/blocks/${house.body.block_id}/release`, undefined, asAdmin());
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 0, available: 10 });
      expect(await purchasable(eventId)).to.deep.equal({ early: 8, regular: 8, vip: 6 });
      await invariants(eventId);
    });

    it('room coming back to a shared quota serves the first entries of its categories in the order they joined', async () => {
      const eventId = await hall();
      const early = await hold({ event_id: eventId, qty: 5, category_id: 'early' });
      await hold({ event_id: eventId, qty: 1, category_id: 'early' });
      await hold({ event_id: eventId, qty: 4, category_id: 'regular' });
      const first = await api.join(eventId, { qty: 3, category_id: 'regular' });
      const second = await api.join(eventId, { qty: 2, category_id: 'early' });
      const third = await api.join(eventId, { qty: 1, category_id: 'regular' });
      expect([first, second, third].map((e) => e.body.status)).to.deep.equal(['waiting', 'waiting', 'waiting']);
      // 5 places of room come back: regular's first (3), then early's (2), in join order; regular's next waits
      await api.release(early.hold_id, early.payment_token);
      const statuses = await Promise.all([first, second, third].map(async (e) => (await api.getEntry(e.body.entry_id)).body.status));
      expect(statuses).to.deep.equal(['offered', 'offered', 'waiting']);
      expect(await quotaOf(eventId, 'hall')).to.include({ used: 10, available: 0 });
      await invariants(eventId);
    });
  });
});
