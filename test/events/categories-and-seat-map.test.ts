import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Inventory over real HTTP: events with categories (general capacity or seated
// rows), GET /events/{id} per category, GET /events/{id}/seats, and every validation rule
// of POST /events the contract lists.

describe('inventory: categories and the seat map', () => {
  let app: TestService;
  let api: Api;
  before(async () => {
    app = await startTestService({}, { admin: true });
    api = app.api;
  });
  after(() => app.stop());

  const post = (body: unknown, headers = api.admin) => api.post('/events', body, { headers });

  describe('POST /events with categories', () => {
    it('201 with event_id, name, total_seats, created_at, categories in the order given, Location', async () => {
      const response = await post({
        name: 'Hamlet',
        max_per_hold: 6,
        categories: [
          { category_id: 'stalls', name: 'Stalls', rows: [{ row: 'A', seats: 10 }, { row: 'B', seats: 8 }] },
          { category_id: 'standing', capacity: 50 },
          { category_id: 'box-1_x', name: 'Box', rows: [{ row: 'BOX-', seats: 2 }] },
        ],
      });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      const body = response.body;
      expect(body.event_id).to.be.a('string');
      expect(body.name).to.equal('Hamlet');
      expect(body.total_seats).to.equal(70);
      expect(Number.isNaN(Date.parse(body.created_at))).to.equal(false);
      expect(body.categories).to.deep.equal([
        { category_id: 'stalls', name: 'Stalls', kind: 'seated', capacity: 18, sales: 'open' },
        { category_id: 'standing', name: 'standing', kind: 'general', capacity: 50, sales: 'open' },
        { category_id: 'box-1_x', name: 'Box', kind: 'seated', capacity: 2, sales: 'open' },
      ]);
      expect(body.quotas).to.deep.equal([]);
      expect(body.sales).to.equal('open');
      expect(response.headers.get('location')).to.match(new RegExp(`/events/${body.event_id}$`));

      const read = await api.getEvent(body.event_id);
      expect(read.status).to.equal(200);
      expect(read.body).to.include({ event_id: body.event_id, name: 'Hamlet', total: 70, available: 70, held: 0, booked: 0 });
      expect(read.body.created_at).to.equal(body.created_at);
      expect(read.body.categories).to.deep.equal([
        { category_id: 'stalls', name: 'Stalls', kind: 'seated', sales: 'open', total: 18, available: 18, held: 0, booked: 0, blocked: 0, waiting: 0, purchasable: 18 },
        { category_id: 'standing', name: 'standing', kind: 'general', sales: 'open', total: 50, available: 50, held: 0, booked: 0, blocked: 0, waiting: 0, purchasable: 50 },
        { category_id: 'box-1_x', name: 'Box', kind: 'seated', sales: 'open', total: 2, available: 2, held: 0, booked: 0, blocked: 0, waiting: 0, purchasable: 2 },
      ]);
      await assertInvariants(api, body.event_id, { complete: true });
    });

    it('an event made with total_seats alone reads as one general category "general"', async () => {
      const created = await api.createEventAsAdmin({ total_seats: 12 });
      expect(created.total_seats).to.equal(12);
      expect(created.categories).to.have.length(1);
      expect(created.categories[0]).to.include({ category_id: 'general', kind: 'general', capacity: 12 });
      const read = await api.getEvent(created.event_id);
      expect(read.body).to.include({ total: 12, available: 12, held: 0, booked: 0 });
      expect(read.body.categories).to.have.length(1);
      expect(read.body.categories[0]).to.include({ category_id: 'general', kind: 'general', total: 12, available: 12, held: 0, booked: 0, waiting: 0 });
      // a hold naming no category takes from it; naming "general" too
      const hold = await api.holdSeats({ event_id: created.event_id, qty: 2 });
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      expect(hold.body.items).to.deep.equal([{ category_id: 'general', qty: 2 }]);
      expect(hold.body.seats, 'no seats for a general category').to.equal(undefined);
      const named = await api.holdSeats({ event_id: created.event_id, qty: 1, category_id: 'general' });
      expect(named.status).to.equal(201);
      expect((await api.getEvent(created.event_id)).body.categories[0]).to.include({ held: 3, available: 9 });
      expect((await api.seats(created.event_id)).body).to.deep.equal({ event_id: created.event_id, rows: [] });
      await assertInvariants(api, created.event_id, { complete: true });
    });

    it('accepts the Rails-style wrapper, and total_seats equal to the sum of the categories', async () => {
      const wrapped = await post({ event: { name: 'Wrapped', categories: [{ category_id: 'a', capacity: 3 }] } });
      expect(wrapped.status, JSON.stringify(wrapped.body)).to.equal(201);
      expect(wrapped.body.total_seats).to.equal(3);
      const both = await post({
        name: 'Both',
        total_seats: 7,
        categories: [{ category_id: 'a', capacity: 3 }, { category_id: 'b', rows: [{ row: 'R', seats: 4 }] }],
      });
      expect(both.status, JSON.stringify(both.body)).to.equal(201);
      expect(both.body.total_seats).to.equal(7);
    });

    it('a seat map body beyond 16 KiB is accepted (2,000 rows); a 100,000-seat venue is a normal event', async () => {
      const rows = Array.from({ length: 2_000 }, (_, i) => ({ row: `ROW-${i}x`, seats: 1 }));
      const many = await post({ name: 'Long map', categories: [{ category_id: 'stalls', rows }] });
      expect(JSON.stringify({ rows }).length).to.be.greaterThan(16 * 1024);
      expect(many.status, JSON.stringify(many.body).slice(0, 500)).to.equal(201);
      expect(many.body.total_seats).to.equal(2_000);

      const big = await post({
        name: 'Stadium',
        categories: [
          { category_id: 'stand', rows: Array.from({ length: 100 }, (_, i) => ({ row: `S${i}-`, seats: 1_000 })) },
          { category_id: 'field', capacity: 900_000 },
        ],
      });
      expect(big.status, JSON.stringify(big.body).slice(0, 500)).to.equal(201);
      expect(big.body.total_seats).to.equal(1_000_000);
      const hold = await api.holdSeats({ event_id: big.body.event_id, category_id: 'stand', qty: 4 });
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      expect(hold.body.seats).to.deep.equal(['S0-499', 'S0-500', 'S0-501', 'S0-502']);
      const seats = await api.seats(big.body.event_id);
      expect(seats.body.rows).to.have.length(100);
      expect(seats.body.rows[0].status).to.equal(`${'A'.repeat(498)}HHHH${'A'.repeat(498)}`);
    });

    it('answers 401 without the admin bearer, or with another', async () => {
      const body = { name: 'x', categories: [{ category_id: 'a', capacity: 1 }] };
      expectProblem(await post(body, {}), 401);
      expectProblem(await post(body, { authorization: 'Bearer not-the-token' }), 401);
    });

    const invalid: [string, unknown][] = [
      ['no total_seats and no categories', { name: 'x' }],
      ['an empty category list', { name: 'x', categories: [] }],
      ['101 categories', { name: 'x', categories: Array.from({ length: 101 }, (_, i) => ({ category_id: `c${i}`, capacity: 1 })) }],
      ['a duplicate category_id', { name: 'x', categories: [{ category_id: 'a', capacity: 1 }, { category_id: 'a', capacity: 2 }] }],
      ['a category_id with capitals', { name: 'x', categories: [{ category_id: 'Stalls', capacity: 1 }] }],
      ['a category_id of 33 chars', { name: 'x', categories: [{ category_id: 'a'.repeat(33), capacity: 1 }] }],
      ['an empty category_id', { name: 'x', categories: [{ category_id: '', capacity: 1 }] }],
      ['an empty category name', { name: 'x', categories: [{ category_id: 'a', name: '', capacity: 1 }] }],
      ['both capacity and rows', { name: 'x', categories: [{ category_id: 'a', capacity: 1, rows: [{ row: 'A', seats: 1 }] }] }],
      ['neither capacity nor rows', { name: 'x', categories: [{ category_id: 'a' }] }],
      ['capacity 0', { name: 'x', categories: [{ category_id: 'a', capacity: 0 }] }],
      ['capacity 1,000,001', { name: 'x', categories: [{ category_id: 'a', capacity: 1_000_001 }] }],
      ['an empty row list', { name: 'x', categories: [{ category_id: 'a', rows: [] }] }],
      ['a row ending in a digit', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A1', seats: 2 }] }] }],
      ['a row of 13 chars', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'ABCDEFGHIJKLM', seats: 2 }] }] }],
      ['a row with a space', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A B', seats: 2 }] }] }],
      ['a row of 0 seats', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A', seats: 0 }] }] }],
      ['a row of 1,001 seats', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A', seats: 1_001 }] }] }],
      ['2,001 rows', { name: 'x', categories: [{ category_id: 'a', rows: Array.from({ length: 2_001 }, (_, i) => ({ row: `R${i}x`, seats: 1 })) }] }],
      [
        'a row name used in two categories',
        { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A', seats: 1 }] }, { category_id: 'b', rows: [{ row: 'A', seats: 1 }] }] },
      ],
      ['a row name twice in one category', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A', seats: 1 }, { row: 'A', seats: 2 }] }] }],
      [
        'more than 100,000 seated seats',
        { name: 'x', categories: [{ category_id: 'a', rows: Array.from({ length: 101 }, (_, i) => ({ row: `R${i}x`, seats: 1_000 })) }] },
      ],
      [
        'more than 1,000,000 seats in all',
        { name: 'x', categories: [{ category_id: 'a', capacity: 1_000_000 }, { category_id: 'b', capacity: 1 }] },
      ],
      ['total_seats that is not the sum', { name: 'x', total_seats: 5, categories: [{ category_id: 'a', capacity: 4 }] }],
      ['an unknown member of a category', { name: 'x', categories: [{ category_id: 'a', capacity: 1, colour: 'red' }] }],
      ['an unknown member of a row', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A', seats: 1, aisle: true }] }] }],
      ['max_per_hold 0', { name: 'x', max_per_hold: 0, categories: [{ category_id: 'a', capacity: 1 }] }],
      ['seats as a string', { name: 'x', categories: [{ category_id: 'a', rows: [{ row: 'A', seats: '3' }] }] }],
    ];
    for (const [what, body] of invalid) {
      it(`422 for ${what}, and no event is made`, async () => {
        const response = await post(body);
        expectProblem(response, 422);
        expect(response.body.errors, 'errors names each bad field').to.be.an('array').that.is.not.empty;
      });
    }

    it('413 for an event body over 1 MiB', async () => {
      const rows = Array.from({ length: 2_000 }, (_, i) => ({ row: `R${i}x`, seats: 1, pad: 'x'.repeat(600) }));
      const response = await post({ name: 'huge', categories: [{ category_id: 'a', rows }] });
      expectProblem(response, 413);
    });
  });

  describe('GET /events/{id}/seats', () => {
    let eventId: string;
    before(async () => {
      eventId = await api.event([
        { category_id: 'stalls', rows: [{ row: 'B', seats: 4 }, { row: 'A', seats: 3 }] },
        { category_id: 'ga', capacity: 10 },
        { category_id: 'balcony', rows: [{ row: 'C', seats: 2 }] },
      ]);
    });

    it('one status string per row, rows in their order, every seated category', async () => {
      const response = await api.seats(eventId);
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({
        event_id: eventId,
        rows: [
          { row: 'B', category_id: 'stalls', seats: 4, status: 'AAAA' },
          { row: 'A', category_id: 'stalls', seats: 3, status: 'AAA' },
          { row: 'C', category_id: 'balcony', seats: 2, status: 'AA' },
        ],
      });
    });

    it('A, H and B follow holds and bookings, and count the same as the category', async () => {
      const held = await api.holdSeats({ event_id: eventId, seats: ['B1', 'A3'] });
      expect(held.status, JSON.stringify(held.body)).to.equal(201);
      const toBook = await api.holdSeats({ event_id: eventId, seats: ['C2'] });
      expect(toBook.status).to.equal(201);
      expect((await api.book(toBook.body.hold_id, toBook.body.payment_token)).status).to.equal(201);
      const rows = (await api.seats(eventId)).body.rows.map((row: any) => row.status);
      expect(rows).to.deep.equal(['HAAA', 'AAH', 'AB']);
      const only = await api.seats(eventId, 'balcony');
      expect(only.status).to.equal(200);
      expect(only.body.rows).to.deep.equal([{ row: 'C', category_id: 'balcony', seats: 2, status: 'AB' }]);
      const event = (await api.getEvent(eventId)).body;
      expect(event.categories.find((c: any) => c.category_id === 'stalls')).to.include({ available: 5, held: 2, booked: 0 });
      expect(event.categories.find((c: any) => c.category_id === 'balcony')).to.include({ available: 1, held: 0, booked: 1 });
      expect(event).to.include({ total: 19, available: 16, held: 2, booked: 1 });
      await assertInvariants(api, eventId, { complete: true });
      expect((await api.release(held.body.hold_id, held.body.payment_token)).status).to.equal(200);
      expect((await api.seats(eventId, 'stalls')).body.rows.map((row: any) => row.status)).to.deep.equal(['AAAA', 'AAA']);
    });

    it('?category_id= of a general category gives no rows; of an unknown one, 404; an unknown event, 404', async () => {
      const general = await api.seats(eventId, 'ga');
      expect(general.status).to.equal(200);
      expect(general.body.rows).to.deep.equal([]);
      expectProblem(await api.seats(eventId, 'nope'), 404);
      expectProblem(await api.seats('00000000-0000-4000-8000-000000000000'), 404);
      expectProblem(await api.getEvent('00000000-0000-4000-8000-000000000000'), 404);
    });
  });
});
