import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Sales state over real HTTP: an event and each category are open or paused; a category is on
// sale when both are open. While it is not, public holds (qty, items, seats) and waiting-list
// joins are refused with 409 sales-paused naming the categories; holds that exist go on;
// seats that come back stay available with no offer; the PATCH that reopens makes the
// waiting list's offers before it answers.

describe('sales state: pausing and reopening a sale', () => {
  let app: TestService;
  let api: Api;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({}, { admin: true });
    api = app.api;
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app.stop());

  const asAdmin = () => ({ headers: api.admin });
  const patchEvent = async (eventId: string, body: unknown) => {
    const response = await api.patch(`/events/${eventId}`, body, asAdmin());
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body;
  };
  const patchCategory = async (eventId: string, categoryId: string, body: unknown) => {
    const response = await api.patch(`/events/${eventId}/categories/${categoryId}`, body, asAdmin());
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body;
  };
  const categoryOf = (event: any, id: string) => event.categories.find((c: any) => c.category_id === id);
  const invariants = (eventId: string) => assertInvariants(api, eventId, { redis: redisUrl, prefix: app.prefix });

  const theatre = () =>
    api.event([
      { category_id: 'stalls', rows: [{ row: 'A', seats: 6 }] },
      { category_id: 'standing', capacity: 10 },
      { category_id: 'vip', capacity: 4 },
    ]);

  it('a paused event refuses every public hold and waiting-list join with 409 sales-paused naming the categories; holds that exist go on', async () => {
    const eventId = await theatre();
    const held = await api.holdSeats({ event_id: eventId, qty: 2, category_id: 'standing' });
    const toBook = await api.holdSeats({ event_id: eventId, seats: ['A1'] });
    expect([held.status, toBook.status]).to.deep.equal([201, 201]);

    const paused = await patchEvent(eventId, { sales: 'paused' });
    expect(paused.sales).to.equal('paused');
    expect(paused.categories.map((c: any) => c.sales), 'each category keeps its own setting').to.deep.equal(['open', 'open', 'open']);

    const refusals: [Record<string, unknown>, string[]][] = [
      [{ qty: 1, category_id: 'standing' }, ['standing']],
      [{ qty: 1, category_id: 'stalls', partial: true }, ['stalls']],
      [{ items: [{ category_id: 'vip', qty: 1 }, { category_id: 'standing', qty: 1 }] }, ['vip', 'standing']],
      [{ seats: ['A4', 'A5'] }, ['stalls']],
    ];
    for (const [body, categories] of refusals) {
      const refused = await api.post('/holds', { event_id: eventId, ...body });
      expectProblem(refused, 409, 'sales-paused');
      expect(refused.body.paused, JSON.stringify(body)).to.deep.equal(categories);
    }
    const join = await api.post(`/events/${eventId}/waitlist`, { qty: 1, category_id: 'vip' });
    expectProblem(join, 409, 'sales-paused');
    expect(join.body.paused).to.deep.equal(['vip']);

    // what exists goes on: extended, booked, released
    expect((await api.extend(held.body.hold_id, held.body.payment_token, 300)).status).to.equal(200);
    expect((await api.book(toBook.body.hold_id, toBook.body.payment_token)).status).to.equal(201);
    expect((await api.release(held.body.hold_id, held.body.payment_token)).status).to.equal(200);
    const read = (await api.getEvent(eventId)).body;
    expect(categoryOf(read, 'standing')).to.include({ available: 10, held: 0 });
    expect(categoryOf(read, 'stalls')).to.include({ available: 5, booked: 1 });

    const reopened = await patchEvent(eventId, { sales: 'open' });
    expect(reopened.sales).to.equal('open');
    expect((await api.holdSeats({ event_id: eventId, seats: ['A4', 'A5'] })).status).to.equal(201);
    await invariants(eventId);
  });

  it("a paused category refuses only its own seats: items naming it are refused whole, other categories sell", async () => {
    const eventId = await theatre();
    const changed = await patchCategory(eventId, 'vip', { sales: 'paused' });
    expect(changed).to.include({ category_id: 'vip', sales: 'paused', available: 4 });
    const refused = await api.post('/holds', { event_id: eventId, items: [{ category_id: 'standing', qty: 1 }, { category_id: 'vip', qty: 1 }] });
    expectProblem(refused, 409, 'sales-paused');
    expect(refused.body.paused).to.deep.equal(['vip']);
    expect(categoryOf((await api.getEvent(eventId)).body, 'standing').available, 'all or nothing').to.equal(10);
    expect((await api.holdSeats({ event_id: eventId, qty: 3, category_id: 'standing' })).status).to.equal(201);
    expectProblem(await api.post(`/events/${eventId}/waitlist`, { qty: 1, category_id: 'vip' }), 409, 'sales-paused');

    // both the event and the category paused: reopening the event alone leaves vip off sale
    await patchEvent(eventId, { sales: 'paused' });
    await patchEvent(eventId, { sales: 'open' });
    expect((await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'vip' })).body.paused).to.deep.equal(['vip']);
    await patchCategory(eventId, 'vip', { category: { sales: 'open' } });
    expect((await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'vip' })).status).to.equal(201);
    await invariants(eventId);
  });

  it('seats that come back while paused stay available with no offer; reopening the event makes the offers before it answers', async () => {
    const eventId = await api.event([
      { category_id: 'ga', capacity: 3 },
      { category_id: 'seats', rows: [{ row: 'B', seats: 2 }] },
    ]);
    const gaHold = await api.holdSeats({ event_id: eventId, qty: 3, category_id: 'ga' });
    const seatHold = await api.holdSeats({ event_id: eventId, seats: ['B1', 'B2'] });
    const gaEntry = await api.join(eventId, { qty: 2, category_id: 'ga' });
    const seatEntry = await api.join(eventId, { qty: 1, category_id: 'seats' });
    expect([gaEntry.body.status, seatEntry.body.status]).to.deep.equal(['waiting', 'waiting']);

    await patchEvent(eventId, { sales: 'paused' });
    expect((await api.release(gaHold.body.hold_id, gaHold.body.payment_token)).status).to.equal(200);
    expect((await api.release(seatHold.body.hold_id, seatHold.body.payment_token)).status).to.equal(200);
    const whilePaused = (await api.getEvent(eventId)).body;
    expect(categoryOf(whilePaused, 'ga')).to.include({ available: 3, held: 0, waiting: 1 });
    expect(categoryOf(whilePaused, 'seats')).to.include({ available: 2, held: 0, waiting: 1 });
    expect((await api.getEntry(gaEntry.body.entry_id)).body.status).to.equal('waiting');

    // the PATCH's own answer already shows the offers: made in the same step, before it answered
    const reopened = await patchEvent(eventId, { sales: 'open' });
    expect(categoryOf(reopened, 'ga')).to.include({ available: 1, held: 2, waiting: 0 });
    expect(categoryOf(reopened, 'seats')).to.include({ available: 1, held: 1, waiting: 0 });
    const offered = await api.entryWithOffer(gaEntry.body.entry_id, gaEntry.body.entry_token);
    expect(offered.body.status).to.equal('offered');
    expect((await api.entryWithOffer(seatEntry.body.entry_id, seatEntry.body.entry_token)).body.status).to.equal('offered');
    expect((await api.book(offered.body.hold_id, gaEntry.body.entry_token)).status).to.equal(201);
    await invariants(eventId);
  });

  it("reopening a category (its PATCH) serves that category's waiting list before it answers", async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 2 }, { category_id: 'other', capacity: 2 }]);
    const hold = await api.holdSeats({ event_id: eventId, qty: 2, category_id: 'ga' });
    const entry = await api.join(eventId, { qty: 1, category_id: 'ga' });
    await patchCategory(eventId, 'ga', { sales: 'paused' });
    await api.release(hold.body.hold_id, hold.body.payment_token);
    expect(categoryOf((await api.getEvent(eventId)).body, 'ga')).to.include({ available: 2, waiting: 1 });
    const reopened = await patchCategory(eventId, 'ga', { sales: 'open' });
    expect(reopened).to.include({ sales: 'open', available: 1, held: 1, waiting: 0 });
    expect((await api.entryWithOffer(entry.body.entry_id, entry.body.entry_token)).body.status).to.equal('offered');
    await invariants(eventId);
  });

  it('an event created paused (or with a category paused) is not on sale until opened; POST and GET show sales', async () => {
    const created = await api.createEventAsAdmin({
      name: 'Not yet',
      sales: 'paused',
      categories: [
        { category_id: 'early', capacity: 5 },
        { category_id: 'late', capacity: 5, sales: 'paused' },
      ],
    });
    expect(created.sales).to.equal('paused');
    expect(created.categories.map((c: any) => [c.category_id, c.sales])).to.deep.equal([['early', 'open'], ['late', 'paused']]);
    const eventId = created.event_id;
    const read = (await api.getEvent(eventId)).body;
    expect(read.sales).to.equal('paused');
    expect(read.categories.map((c: any) => c.sales)).to.deep.equal(['open', 'paused']);
    expect((await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'early' })).body.paused).to.deep.equal(['early']);

    await patchEvent(eventId, { sales: 'open' });
    expect((await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'early' })).status).to.equal(201);
    expect((await api.post('/holds', { event_id: eventId, qty: 1, category_id: 'late' })).body.paused).to.deep.equal(['late']);
    // creating writes no sales.changed entry: the state at creation is the event's
    const types = (await api.readLog(eventId)).map((entry) => entry.type);
    expect(types).to.deep.equal(['sales.changed', 'hold.created']);
    await invariants(eventId);
  });

  it('a pause writes one sales.changed entry; setting sales to what it is changes nothing and writes none', async () => {
    const eventId = await theatre();
    await patchEvent(eventId, { sales: 'open' });
    await patchCategory(eventId, 'vip', { sales: 'open' });
    expect(await api.readLog(eventId)).to.deep.equal([]);
    await patchEvent(eventId, { sales: 'paused' });
    await patchEvent(eventId, { sales: 'paused' });
    await patchCategory(eventId, 'vip', { sales: 'paused' });
    await patchCategory(eventId, 'vip', { sales: 'paused' });
    const log = await api.readLog(eventId);
    expect(log.map((entry) => [entry.type, entry.category_id, entry.sales, entry.qty])).to.deep.equal([
      ['sales.changed', null, 'paused', 0],
      ['sales.changed', 'vip', 'paused', 0],
    ]);
    await invariants(eventId);
  });
});
