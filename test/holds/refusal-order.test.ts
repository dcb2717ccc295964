import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// When several refusals apply to one POST /holds, the first in the contract's order is given:
// unknown event, category or seat and bad input (404/422), the per-hold limit (422), admission
// (403), sales paused (409), waiting list first (409), then seats and quotas (409). Each case
// sets up an event where every later refusal applies too, then takes the earlier ones away
// one at a time.

describe('POST /holds: the order of refusals', () => {
  let app: TestService;
  let api: Api;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '10' }, { admin: true });
    api = app.api;
  });
  after(() => app.stop());

  const asAdmin = () => ({ headers: api.admin });
  const type = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await api.post('/holds', body, { headers });
    expect(response.status, JSON.stringify(response.body)).to.be.at.least(400);
    return `${response.status} ${String(response.body.type).split('/').pop()}`;
  };

  /**
   * An event where every refusal after the per-hold limit applies to a hold of `ga`: a queue
   * not yet open (admission), paused (sales), a waiting entry (waiting list), no seats or room
   * left (seats, quota). `stalls` has a held seat, A1.
   */
  async function everythingInTheWay() {
    const created = await api.createEventAsAdmin({
      name: 'Everything in the way',
      max_per_hold: 3,
      categories: [
        { category_id: 'ga', capacity: 4 },
        { category_id: 'stalls', rows: [{ row: 'A', seats: 4 }] },
      ],
      quotas: [{ quota_id: 'room', capacity: 5, categories: ['ga', 'stalls'] }],
    });
    const eventId = created.event_id as string;
    const gaHold = await api.holdSeats({ event_id: eventId, qty: 3, category_id: 'ga' });
    const seatHold = await api.holdSeats({ event_id: eventId, seats: ['A1', 'A2'] });
    expect([gaHold.status, seatHold.status]).to.deep.equal([201, 201]);
    const entry = await api.join(eventId, { qty: 2, category_id: 'ga' });
    const stallsEntry = await api.join(eventId, { qty: 1, category_id: 'stalls' });
    expect([entry.body.status, stallsEntry.body.status]).to.deep.equal(['waiting', 'waiting']);
    const pause = async (sales: 'open' | 'paused') =>
      expect((await api.patch(`/events/${eventId}`, { sales }, asAdmin())).status).to.equal(200);
    await pause('paused');
    const queue = `/events/${eventId}/queue`;
    expect((await api.put(queue, { opens_at: '2999-01-01T00:00:00Z', admit_per_minute: 60 }, asAdmin())).status).to.equal(200);
    return {
      eventId,
      reopen: () => pause('open'),
      removeQueue: async () => expect((await api.delete(queue, undefined, asAdmin())).status).to.equal(200),
      leave: async () => {
        for (const joined of [entry, stallsEntry]) {
          expect((await api.leave(joined.body.entry_id, joined.body.entry_token)).status).to.equal(200);
        }
      },
    };
  }

  it('qty: unknown event → bad input → per-hold limit → admission → paused → waiting list → seats and quota', async () => {
    const way = await everythingInTheWay();
    const { eventId } = way;
    expect(await type({ event_id: '00000000-0000-4000-8000-000000000000', qty: 5, category_id: 'ga' })).to.equal('404 not-found');
    expect(await type({ event_id: eventId, qty: 11, category_id: 'ga' }), 'above the service limit').to.equal('422 invalid-request');
    expect(await type({ event_id: eventId, qty: 2, category_id: 'nope' }), 'unknown category').to.equal('422 invalid-request');
    expect(await type({ event_id: eventId, qty: 2 }), 'category_id missing with two categories').to.equal('422 invalid-request');
    expect(await type({ event_id: eventId, qty: 4, category_id: 'ga' })).to.equal('422 qty-above-limit');
    expect(await type({ event_id: eventId, qty: 2, category_id: 'ga' })).to.equal('403 admission-required');
    expect(await type({ event_id: eventId, qty: 2, category_id: 'ga' }, { 'Admission-Token': 'not-a-ticket' })).to.equal('403 admission-required');
    await way.removeQueue();
    expect(await type({ event_id: eventId, qty: 2, category_id: 'ga' })).to.equal('409 sales-paused');
    await way.reopen();
    expect(await type({ event_id: eventId, qty: 2, category_id: 'ga' })).to.equal('409 waitlist-first');
    await way.leave();
    const last = await api.post('/holds', { event_id: eventId, qty: 2, category_id: 'ga' });
    expectProblem(last, 409, 'quota-exceeded');
    expect(last.body).to.deep.include({ available: 0, quota_shortfall: [{ quota_id: 'room', requested: 2, available: 0 }] });
    await assertInvariants(api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
  });

  it('items and named seats: unknown category or seat → per-hold limit → admission → paused (naming each) → waiting list → seats', async () => {
    const way = await everythingInTheWay();
    const { eventId } = way;
    const items = (ga: number, stalls: number, extra: { category_id: string; qty: number }[] = []) => ({
      event_id: eventId,
      items: [{ category_id: 'ga', qty: ga }, { category_id: 'stalls', qty: stalls }, ...extra],
    });
    expect(await type(items(1, 1, [{ category_id: 'vip', qty: 1 }])), 'unknown category').to.equal('422 invalid-request');
    expect(await type({ event_id: eventId, seats: ['A1', 'A9'] }), 'unknown seat').to.equal('422 invalid-request');
    expect(await type({ event_id: eventId, seats: ['A1', 'A0'] }), 'malformed seat').to.equal('422 invalid-request');
    expect(await type(items(2, 2))).to.equal('422 qty-above-limit');
    expect(await type(items(1, 1))).to.equal('403 admission-required');
    expect(await type({ event_id: eventId, seats: ['A1', 'A3'] })).to.equal('403 admission-required');
    await way.removeQueue();
    const paused = await api.post('/holds', items(1, 1));
    expectProblem(paused, 409, 'sales-paused');
    expect(paused.body.paused).to.deep.equal(['ga', 'stalls']);
    expect(await type({ event_id: eventId, seats: ['A1', 'A3'] })).to.equal('409 sales-paused');
    await way.reopen();
    expect(await type(items(1, 1))).to.equal('409 waitlist-first');
    expect(await type({ event_id: eventId, seats: ['A1', 'A3'] })).to.equal('409 waitlist-first');
    await way.leave();
    const taken = await api.post('/holds', { event_id: eventId, seats: ['A1', 'A3'] });
    expectProblem(taken, 409, 'seats-unavailable');
    expect(taken.body.unavailable).to.deep.equal(['A1']);
    expect(await type({ event_id: eventId, seats: ['A3'] }), 'free, but no room').to.equal('409 quota-exceeded');
    const short = await api.post('/holds', items(2, 1));
    expectProblem(short, 409, 'not-enough-seats');
    expect(short.body.shortfall).to.deep.equal([{ category_id: 'ga', requested: 2, available: 1 }]);
    expect(short.body.quota_shortfall).to.deep.equal([{ quota_id: 'room', requested: 3, available: 0 }]);
    await assertInvariants(api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
  });

  it('a hold from a block is refused only for bad input, an unknown block and what the block lacks', async () => {
    const way = await everythingInTheWay();
    const { eventId } = way;
    // paused, queued, a waiting list, no room in the quota: a block made before still sells
    const other = await api.createEventAsAdmin({ name: 'Other', total_seats: 4 });
    const house = await api.post(`/events/${other.event_id}/blocks`, { items: [{ category_id: 'general', qty: 2 }] }, asAdmin());
    expect(house.status).to.equal(201);
    const wrongEvent = await api.post('/holds', { event_id: eventId, block_id: house.body.block_id, qty: 1 }, asAdmin());
    expectProblem(wrongEvent, 404, 'not-found');
    await way.removeQueue();
    await way.reopen();
    await way.leave();
    expect((await api.patch(`/events/${eventId}/categories/ga`, { capacity: 5 }, asAdmin())).status).to.equal(200);
    const room = await api.put(`/events/${eventId}/quotas/room`, { capacity: 6, categories: ['ga', 'stalls'] }, asAdmin());
    expect(room.body).to.include({ used: 5, available: 1 });
    const inGa = await api.post(`/events/${eventId}/blocks`, { items: [{ category_id: 'ga', qty: 1 }] }, asAdmin());
    expect(inGa.status, JSON.stringify(inGa.body)).to.equal(201);
    const joined = await api.join(eventId, { qty: 1, category_id: 'ga' });
    expect(joined.body.status).to.equal('waiting');
    await api.patch(`/events/${eventId}`, { sales: 'paused' }, asAdmin());
    await api.put(`/events/${eventId}/queue`, { opens_at: '2999-01-01T00:00:00Z', admit_per_minute: 60 }, asAdmin());
    expect(await type({ event_id: eventId, block_id: inGa.body.block_id, qty: 1, partial: true }, api.admin)).to.equal('422 invalid-request');
    expect(await type({ event_id: eventId, block_id: `${eventId}.00000000-0000-4000-8000-000000000000`, qty: 1 }, api.admin)).to.equal('404 not-found');
    expect(await type({ event_id: eventId, block_id: inGa.body.block_id, qty: 2 }, api.admin), 'more than it holds').to.equal('409 not-enough-seats');
    const sold = await api.holdSeats({ event_id: eventId, block_id: inGa.body.block_id, qty: 1 }, api.admin);
    expect(sold.status, JSON.stringify(sold.body)).to.equal(201);
    await assertInvariants(api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
  });
});
