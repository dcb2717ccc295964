import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { type Api, expectProblem, seatIds } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Blocks over real HTTP: POST /events/{id}/blocks takes named seats or places of categories
// out of sale, all or nothing (X on the seat map, `blocked` in every count, a seats.blocked
// entry); none of the public rules apply to it; GET of one and of an event's active ones;
// POST /blocks/{id}/release puts part or all of it back on sale (waiting lists first).

const UNKNOWN_EVENT = '00000000-0000-4000-8000-000000000000';

describe('blocks', () => {
  let app: TestService;
  let api: Api;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '10' }, { admin: true });
    api = app.api;
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app.stop());

  const asAdmin = (extra: Record<string, string> = {}) => ({ headers: { ...api.admin, ...extra } });
  const block = (eventId: string, body: unknown, headers: Record<string, string> = {}) =>
    api.post(`/events/${eventId}/blocks`, body, asAdmin(headers));
  const blocked = async (eventId: string, body: unknown) => {
    const response = await block(eventId, body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };
  const release = (blockId: string, body?: unknown) => api.post(`/blocks/${blockId}/release`, body, asAdmin());
  const getBlock = (blockId: string) => api.get(`/blocks/${blockId}`, asAdmin());
  const listBlocks = (eventId: string) => api.get(`/events/${eventId}/blocks`, asAdmin());
  const categoryOf = (event: any, id: string) => event.categories.find((c: any) => c.category_id === id);
  const statusOf = async (eventId: string) =>
    Object.fromEntries((await api.seats(eventId)).body.rows.map((row: any) => [row.row, row.status]));
  const invariants = (eventId: string) => assertInvariants(api, eventId, { redis: redisUrl, prefix: app.prefix });

  const venue = () =>
    api.event([
      { category_id: 'stalls', rows: [{ row: 'A', seats: 10 }, { row: 'B', seats: 10 }] },
      { category_id: 'standing', capacity: 50 },
    ]);

  describe('POST /events/{event_id}/blocks', () => {
    it('named seats: 201 the block (seats in row order), Location; X on the map, blocked counted, a seats.blocked entry', async () => {
      const eventId = await venue();
      const response = await block(eventId, { seats: ['B2', 'A8', 'A7'], reason: 'camera platform' });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      const created = response.body;
      expect(response.headers.get('location')).to.equal(`/blocks/${created.block_id}`);
      expect(created.block_id).to.match(new RegExp(`^${eventId}\\.`));
      expect(created).to.deep.include({
        event_id: eventId,
        status: 'active',
        reason: 'camera platform',
        items: [{ category_id: 'stalls', qty: 3 }],
        seats: ['A7', 'A8', 'B2'],
      });
      expect(Date.parse(created.created_at)).to.be.closeTo(Date.now(), 60_000);
      expect(await statusOf(eventId)).to.deep.equal({ A: 'AAAAAAXXAA', B: 'AXAAAAAAAA' });
      const event = (await api.getEvent(eventId)).body;
      expect(categoryOf(event, 'stalls')).to.include({ total: 20, available: 17, held: 0, booked: 0, blocked: 3, purchasable: 17 });
      expect(event).to.include({ total: 70, available: 67, blocked: 3 });
      const entries = (await api.readLog(eventId)).map((e) => [e.type, e.category_id, e.qty, e.block_id, e.seats]);
      expect(entries).to.deep.equal([['seats.blocked', 'stalls', 3, created.block_id, ['A7', 'A8', 'B2']]]);

      expect((await getBlock(created.block_id)).body).to.deep.equal(created);
      expect((await listBlocks(eventId)).body).to.deep.equal({ event_id: eventId, blocks: [created] });

      // a hold of a blocked seat: 409 naming it; best available passes over them
      const refused = await api.post('/holds', { event_id: eventId, seats: ['A6', 'A7', 'B2'] });
      expectProblem(refused, 409, 'seats-unavailable');
      expect(refused.body.unavailable).to.deep.equal(['A7', 'B2']);
      const best = await api.holdSeats({ event_id: eventId, qty: 10, category_id: 'stalls', adjacent: false });
      expect(best.body.seats).to.not.include.members(['A7', 'A8', 'B2']);
      await invariants(eventId);
    });

    it('items: a general line takes places, a seated line picks an adjacent run as an items line of a hold does; reason null when none', async () => {
      const eventId = await venue();
      const created = await blocked(eventId, { block: { items: [{ category_id: 'standing', qty: 20 }, { category_id: 'stalls', qty: 4 }] } });
      expect(created).to.deep.include({
        reason: null,
        items: [{ category_id: 'stalls', qty: 4 }, { category_id: 'standing', qty: 20 }],
        seats: ['A4', 'A5', 'A6', 'A7'],
      });
      const event = (await api.getEvent(eventId)).body;
      expect(categoryOf(event, 'standing')).to.include({ available: 30, blocked: 20 });
      expect(categoryOf(event, 'stalls')).to.include({ available: 16, blocked: 4 });
      const general = await blocked(eventId, { items: [{ category_id: 'standing', qty: 1 }] });
      expect(general).to.not.have.property('seats');
      await invariants(eventId);
    });

    it("none of the public rules apply: the per-hold limit, the waiting list, the sales state, the admission queue", async () => {
      const eventId = await venue();
      // the waiting list: 2 places left of standing, and an entry for 3 waiting
      const hold = await api.holdSeats({ event_id: eventId, qty: 10, category_id: 'standing' });
      await blocked(eventId, { items: [{ category_id: 'standing', qty: 38 }] });
      const entry = await api.join(eventId, { qty: 3, category_id: 'standing' });
      expect(entry.body.status).to.equal('waiting');
      expect((await blocked(eventId, { items: [{ category_id: 'standing', qty: 2 }] })).items).to.deep.equal([{ category_id: 'standing', qty: 2 }]);
      // paused, and behind a queue that has not opened
      expect((await api.patch(`/events/${eventId}`, { sales: 'paused' }, asAdmin())).status).to.equal(200);
      const queue = await api.put(`/events/${eventId}/queue`, { opens_at: '2999-01-01T00:00:00Z', admit_per_minute: 60 }, asAdmin());
      expect(queue.status).to.equal(200);
      // above MAX_QTY_PER_HOLD (10)
      const big = await blocked(eventId, { seats: seatIds('A', 1, 10).concat(seatIds('B', 1, 5)) });
      expect(big.items).to.deep.equal([{ category_id: 'stalls', qty: 15 }]);
      const event = (await api.getEvent(eventId)).body;
      expect(categoryOf(event, 'standing')).to.include({ available: 0, held: 10, blocked: 40, waiting: 1 });
      expect(categoryOf(event, 'stalls')).to.include({ available: 5, blocked: 15 });
      expect((await api.release(hold.body.hold_id, hold.body.payment_token)).status).to.equal(200);
      expect((await api.getEntry(entry.body.entry_id)).body.status, 'no offer while paused').to.equal('waiting');
      await invariants(eventId);
    });

    it('named seats held, booked or blocked → 409 unavailable listing every one; nothing is blocked', async () => {
      const eventId = await venue();
      await api.holdSeats({ event_id: eventId, seats: ['A2'] });
      const toBook = await api.holdSeats({ event_id: eventId, seats: ['B9'] });
      await api.book(toBook.body.hold_id, toBook.body.payment_token);
      await blocked(eventId, { seats: ['A5'] });
      const before = (await api.getEvent(eventId)).body;
      const refused = await block(eventId, { seats: ['B9', 'A1', 'A2', 'A5', 'B1'] });
      expectProblem(refused, 409, 'seats-unavailable');
      expect(refused.body.unavailable).to.deep.equal(['A2', 'A5', 'B9']);
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);
      expect((await listBlocks(eventId)).body.blocks).to.have.length(1);
      await invariants(eventId);
    });

    it('lines short of available seats → 409 not-enough-seats with shortfall naming every short line; nothing is blocked', async () => {
      const eventId = await venue();
      await api.holdSeats({ event_id: eventId, qty: 10, category_id: 'standing' });
      const refused = await block(eventId, { items: [{ category_id: 'stalls', qty: 21 }, { category_id: 'standing', qty: 41 }] });
      expectProblem(refused, 409, 'not-enough-seats');
      expect(refused.body.shortfall).to.deep.equal([
        { category_id: 'stalls', requested: 21, available: 20 },
        { category_id: 'standing', requested: 41, available: 40 },
      ]);
      const one = await block(eventId, { items: [{ category_id: 'stalls', qty: 20 }, { category_id: 'standing', qty: 41 }] });
      expect(one.body.shortfall).to.deep.equal([{ category_id: 'standing', requested: 41, available: 40 }]);
      expect((await api.getEvent(eventId)).body.blocked).to.equal(0);
      await invariants(eventId);
    });

    it('an unknown seat or category → 422 naming it; bad bodies → 422 naming the field; nothing changes', async () => {
      const eventId = await venue();
      const unknownSeat = await block(eventId, { seats: ['A1', 'C1', 'A11'] });
      expectProblem(unknownSeat, 422, 'invalid-request');
      expect(unknownSeat.body.unknown_seats).to.deep.equal(['C1', 'A11']);
      expect(unknownSeat.body.errors.map((e: any) => e.field)).to.deep.equal(['seats', 'seats']);
      const unknownCategory = await block(eventId, { items: [{ category_id: 'standing', qty: 1 }, { category_id: 'vip', qty: 1 }] });
      expectProblem(unknownCategory, 422, 'invalid-request');
      expect(unknownCategory.body.errors).to.deep.equal([{ field: 'items', message: 'no category vip in this event' }]);
      const cases: [unknown, string][] = [
        [{}, 'seats'],
        [{ reason: 'why' }, 'seats'],
        [{ seats: ['A1'], items: [{ category_id: 'standing', qty: 1 }] }, 'items'],
        [{ seats: [] }, 'seats'],
        [{ seats: ['A1', 'A1'] }, 'seats.1'],
        [{ seats: ['A0'] }, 'seats.0'],
        [{ seats: Array.from({ length: 1001 }, (_, i) => `R${i + 1}`) }, 'seats'],
        [{ items: [] }, 'items'],
        [{ items: [{ category_id: 'standing', qty: 0 }] }, 'items.0.qty'],
        [{ items: [{ category_id: 'standing', qty: 1 }, { category_id: 'standing', qty: 2 }] }, 'items.1.category_id'],
        [{ items: Array.from({ length: 21 }, (_, i) => ({ category_id: `c${i}`, qty: 1 })) }, 'items'],
        [{ items: [{ category_id: 'standing' }] }, 'items.0.qty'],
        [{ seats: ['A1'], reason: '' }, 'reason'],
        [{ seats: ['A1'], reason: 'x'.repeat(201) }, 'reason'],
        [{ seats: ['A1'], qty: 1 }, 'qty'],
        [{ seats: 'A1' }, 'seats'],
        [[], 'body'],
      ];
      for (const [body, field] of cases) {
        const response = await block(eventId, body);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body).slice(0, 100)).to.include(field);
      }
      expect((await api.getEvent(eventId)).body.blocked).to.equal(0);
      expect(await api.readLog(eventId)).to.deep.equal([]);
    });

    it('items whose seated lines take more than 1,000 seats in all → 422 naming items; nothing is blocked', async () => {
      const rows = Array.from({ length: 12 }, (_, i) => ({ row: `R${String.fromCharCode(65 + i)}`, seats: 100 }));
      const eventId = await api.event([
        { category_id: 'hall', rows: rows.slice(0, 8) },
        { category_id: 'gallery', rows: rows.slice(8) },
        { category_id: 'floor', capacity: 5_000 },
      ]);
      for (const items of [
        [{ category_id: 'hall', qty: 800 }, { category_id: 'gallery', qty: 201 }],
        [{ category_id: 'hall', qty: 800 }, { category_id: 'gallery', qty: 201 }, { category_id: 'floor', qty: 10 }],
      ]) {
        const refused = await block(eventId, { items });
        expectProblem(refused, 422, 'invalid-request');
        expect(refused.body.errors.map((e: any) => e.field)).to.deep.equal(['items']);
        expect(refused.body.detail).to.include('1000');
      }
      expect((await api.getEvent(eventId)).body.blocked).to.equal(0);
      // exactly 1,000 seated, with any number of general places beside them
      const most = await blocked(eventId, { items: [{ category_id: 'hall', qty: 800 }, { category_id: 'gallery', qty: 200 }, { category_id: 'floor', qty: 4_000 }] });
      expect(most.seats).to.have.length(1_000);
      await invariants(eventId);
    });

    it('an unknown event → 404; without the admin token → 401 (every block route)', async () => {
      expectProblem(await block(UNKNOWN_EVENT, { seats: ['A1'] }), 404, 'not-found');
      expectProblem(await block('nope', { items: [{ category_id: 'x', qty: 1 }] }), 404, 'not-found');
      expectProblem(await listBlocks(UNKNOWN_EVENT), 404, 'not-found');
      const eventId = await venue();
      const created = await blocked(eventId, { seats: ['A1'] });
      expectProblem(await api.post(`/events/${eventId}/blocks`, { seats: ['A2'] }), 401, 'unauthorized');
      expectProblem(await api.get(`/events/${eventId}/blocks`), 401, 'unauthorized');
      expectProblem(await api.get(`/blocks/${created.block_id}`), 401, 'unauthorized');
      expectProblem(await api.post(`/blocks/${created.block_id}/release`), 401, 'unauthorized');
      expect((await getBlock(created.block_id)).body.status).to.equal('active');
    });

    it('Idempotency-Key: the same key and body replay the first 201 and block nothing more; another body → 422', async () => {
      const eventId = await venue();
      const key = { 'Idempotency-Key': randomUUID() };
      const first = await block(eventId, { items: [{ category_id: 'standing', qty: 5 }] }, key);
      expect(first.status).to.equal(201);
      const again = await block(eventId, { items: [{ category_id: 'standing', qty: 5 }] }, key);
      expect(again.status).to.equal(201);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      expectProblem(await block(eventId, { items: [{ category_id: 'standing', qty: 6 }] }, key), 422, 'idempotency-mismatch');
      expect(categoryOf((await api.getEvent(eventId)).body, 'standing').blocked).to.equal(5);
      await invariants(eventId);
    });

    it('a capacity cut never takes blocked seats: refused with available when the cut needs them', async () => {
      const eventId = await venue();
      await blocked(eventId, { items: [{ category_id: 'standing', qty: 45 }] });
      const cut = await api.patch(`/events/${eventId}/categories/standing`, { capacity: 40 }, asAdmin());
      expectProblem(cut, 409, 'capacity-cut-refused');
      expect(cut.body.available).to.equal(5);
      const ok = await api.patch(`/events/${eventId}/categories/standing`, { capacity: 46 }, asAdmin());
      expect(ok.body).to.include({ total: 46, available: 1, blocked: 45 });
      await invariants(eventId);
    });
  });

  describe('GET /blocks/{block_id} and GET /events/{event_id}/blocks', () => {
    it('the active blocks oldest first, each as it is now; a released one leaves the list but reads as released', async () => {
      const eventId = await venue();
      const first = await blocked(eventId, { seats: ['B1', 'B2'] });
      const second = await blocked(eventId, { items: [{ category_id: 'standing', qty: 3 }] });
      const third = await blocked(eventId, { seats: ['A10'] });
      expect((await listBlocks(eventId)).body.blocks.map((b: any) => b.block_id)).to.deep.equal([first, second, third].map((b) => b.block_id));
      expect((await release(second.block_id)).status).to.equal(200);
      expect((await listBlocks(eventId)).body.blocks.map((b: any) => b.block_id)).to.deep.equal([first.block_id, third.block_id]);
      expect((await getBlock(second.block_id)).body).to.deep.include({ status: 'released', items: [] });
      const other = await venue();
      expect((await listBlocks(other)).body).to.deep.equal({ event_id: other, blocks: [] });
      for (const id of [`${eventId}.${UNKNOWN_EVENT}`, 'nope', `${UNKNOWN_EVENT}.${UNKNOWN_EVENT}`]) {
        expectProblem(await getBlock(id), 404, 'not-found');
      }
    });
  });

  describe('POST /blocks/{block_id}/release', () => {
    it('named seats and general places in part: back on sale; the block keeps the rest and stays active', async () => {
      const eventId = await venue();
      const created = await blocked(eventId, { seats: ['A1', 'A2', 'A3'] });
      const general = await blocked(eventId, { items: [{ category_id: 'standing', qty: 10 }] });
      const part = await release(created.block_id, { seats: ['A2'] });
      expect(part.status, JSON.stringify(part.body)).to.equal(200);
      expect(part.body).to.deep.include({ status: 'active', items: [{ category_id: 'stalls', qty: 2 }], seats: ['A1', 'A3'] });
      expect((await statusOf(eventId)).A).to.equal('XAXAAAAAAA');
      const places = await release(general.block_id, { block: { items: [{ category_id: 'standing', qty: 4 }] } });
      expect(places.body).to.deep.include({ status: 'active', items: [{ category_id: 'standing', qty: 6 }] });
      const event = (await api.getEvent(eventId)).body;
      expect(categoryOf(event, 'standing')).to.include({ available: 44, blocked: 6 });
      const entries = (await api.readLog(eventId)).filter((e) => e.type === 'seats.unblocked');
      expect(entries.map((e) => [e.block_id, e.category_id, e.qty, e.seats])).to.deep.equal([
        [created.block_id, 'stalls', 1, ['A2']],
        [general.block_id, 'standing', 4, undefined],
      ]);
      await invariants(eventId);
    });

    it('with no body, all that is left: released; released again → the same 200', async () => {
      const eventId = await venue();
      const created = await blocked(eventId, { items: [{ category_id: 'stalls', qty: 2 }, { category_id: 'standing', qty: 5 }] });
      const all = await release(created.block_id);
      expect(all.status).to.equal(200);
      const { seats: _seats, ...general } = created;
      expect(all.body, 'nothing left: no seats listed').to.deep.equal({ ...general, status: 'released', items: [] });
      const again = await release(created.block_id, { seats: ['A1'] });
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(all.body);
      expect((await api.getEvent(eventId)).body).to.include({ available: 70, blocked: 0 });
      expect((await api.readLog(eventId)).filter((e) => e.type === 'seats.unblocked')).to.have.length(2);
      await invariants(eventId);
    });

    it("seats the block lacks, more places than it holds, or a seated items line → 422, nothing moves; unknown → 404", async () => {
      const eventId = await venue();
      const created = await blocked(eventId, { seats: ['A1', 'A2'] });
      const general = await blocked(eventId, { items: [{ category_id: 'standing', qty: 3 }] });
      const lacks = await release(created.block_id, { seats: ['A2', 'A3', 'B1'] });
      expectProblem(lacks, 422, 'invalid-request');
      expect(lacks.body.detail).to.include('A3').and.include('B1');
      const more = await release(general.block_id, { items: [{ category_id: 'standing', qty: 4 }] });
      expectProblem(more, 422, 'invalid-request');
      expect(more.body.errors.map((e: any) => e.field)).to.deep.equal(['items']);
      const seatedLine = await release(created.block_id, { items: [{ category_id: 'stalls', qty: 1 }] });
      expectProblem(seatedLine, 422, 'invalid-request');
      expect(seatedLine.body.errors.map((e: any) => e.field)).to.deep.equal(['items']);
      const notInIt = await release(created.block_id, { items: [{ category_id: 'standing', qty: 1 }] });
      expectProblem(notInIt, 422, 'invalid-request');
      const cases: [unknown, string][] = [
        [{ seats: ['A1'], items: [{ category_id: 'standing', qty: 1 }] }, 'items'],
        [{ seats: ['A1', 'A1'] }, 'seats.1'],
        [{ seats: [] }, 'seats'],
        [{ items: [{ category_id: 'standing', qty: 1 }, { category_id: 'standing', qty: 1 }] }, 'items.1.category_id'],
        [{ all: true }, 'all'],
      ];
      for (const [body, field] of cases) {
        const response = await release(created.block_id, body);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body)).to.include(field);
      }
      expect((await api.getEvent(eventId)).body.blocked).to.equal(5);
      expect((await getBlock(created.block_id)).body.seats).to.deep.equal(['A1', 'A2']);
      expectProblem(await release(`${eventId}.${UNKNOWN_EVENT}`), 404, 'not-found');
      expectProblem(await release('nope', { seats: ['A1'] }), 404, 'not-found');
      await invariants(eventId);
    });

    it('released seats go to the waiting list first, while the category is on sale', async () => {
      const eventId = await venue();
      const created = await blocked(eventId, { items: [{ category_id: 'standing', qty: 50 }] });
      const entry = await api.join(eventId, { qty: 3, category_id: 'standing' });
      expect(entry.body.status).to.equal('waiting');
      const part = await release(created.block_id, { items: [{ category_id: 'standing', qty: 5 }] });
      expect(part.status).to.equal(200);
      expect(categoryOf((await api.getEvent(eventId)).body, 'standing')).to.include({ available: 2, held: 3, blocked: 45, waiting: 0 });
      expect((await api.entryWithOffer(entry.body.entry_id, entry.body.entry_token)).body.status).to.equal('offered');
      await invariants(eventId);
    });
  });
});
