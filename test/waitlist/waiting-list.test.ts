import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { eventually, untilPast } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { startTestService, type TestService } from '../helpers/service.js';

// The waiting list over real HTTP: joining (waiting with a position, or offered at once),
// waitlist-first for every other hold on the category, offers strictly in join order from
// every path by which seats come back (release, expiry, cancellation, an entry leaving, an
// offer lapsing), booking an offer with the entry token, and leaving.

interface Joined {
  entryId: string;
  token: string;
  body: any;
}

describe('waiting list', () => {
  let app: TestService;
  let api: Api;
  before(async () => {
    app = await startTestService({ RECONCILE_INTERVAL_MS: '500', MAX_QTY_PER_HOLD: '10' }, { admin: true });
    api = app.api;
  });
  after(() => app.stop());

  const hold = async (eventId: string, body: Record<string, unknown>) => {
    const response = await api.holdSeats({ event_id: eventId, ttl: 600, ...body });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };
  const join = async (eventId: string, body: Record<string, unknown>, status = 'waiting'): Promise<Joined> => {
    const response = await api.join(eventId, body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    expect(response.body.status).to.equal(status);
    return { entryId: response.body.entry_id, token: response.body.entry_token, body: response.body };
  };
  const entry = async (joined: Joined) => {
    const response = await api.entryWithOffer(joined.entryId, joined.token);
    expect(response.status).to.equal(200);
    return response.body;
  };
  const category = async (eventId: string, id: string) =>
    (await api.getEvent(eventId)).body.categories.find((c: any) => c.category_id === id);

  it('join: 201 waiting with position; GET shows it; waiting counted; other holds on the category get 409 waitlist-first', async () => {
    const eventId = await api.event([
      { category_id: 'ga', capacity: 4 },
      { category_id: 's', rows: [{ row: 'A', seats: 4 }] },
      { category_id: 'other', capacity: 5 },
    ]);
    const all = await hold(eventId, { qty: 3, category_id: 'ga' });
    const first = await join(eventId, { qty: 2, category_id: 'ga' });
    expect(first.body).to.include({ event_id: eventId, category_id: 'ga', qty: 2, status: 'waiting', position: 1 });
    expect(first.body.entry_id).to.be.a('string');
    expect(first.token).to.be.a('string').with.length.of.at.least(22);
    const second = await join(eventId, { entry: { qty: 1, category_id: 'ga' } });
    expect(second.body.position).to.equal(2);

    const read = await api.getEntry(first.entryId);
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ entry_id: first.entryId, event_id: eventId, category_id: 'ga', qty: 2, status: 'waiting', position: 1 });
    expect(read.body).to.not.have.property('hold_id');
    expect(read.body).to.not.have.property('entry_token');
    expect((await category(eventId, 'ga')).waiting).to.equal(2);
    expect((await category(eventId, 'ga')).available, 'one seat is free, but the list is first').to.equal(1);

    expectProblem(await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'ga' }), 409, 'waitlist-first');
    expectProblem(await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'ga', partial: true }), 409, 'waitlist-first');
    expectProblem(
      await api.holdSeats({ event_id: eventId, items: [{ category_id: 'other', qty: 1 }, { category_id: 'ga', qty: 1 }] }),
      409,
      'waitlist-first',
    );
    // another category is not blocked
    expect((await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'other' })).status).to.equal(201);
    expect((await api.getEvent(eventId)).body.categories.find((c: any) => c.category_id === 'ga')).to.include({ held: 3, available: 1 });
    await assertInvariants(api, eventId, { complete: true });
    void all;
  });

  it('a seated category: named-seat holds get waitlist-first too; the offer takes the best adjacent run', async () => {
    const eventId = await api.event([{ category_id: 's', rows: [{ row: 'A', seats: 7 }] }]);
    await hold(eventId, { seats: ['A1', 'A2', 'A3'] });
    const back = await hold(eventId, { seats: ['A4', 'A5', 'A6'] });
    const waiting = await join(eventId, { qty: 2 });
    expectProblem(await api.holdSeats({ event_id: eventId, seats: ['A7'] }), 409, 'waitlist-first');
    expect((await api.release(back.hold_id, back.payment_token)).status).to.equal(200);
    const offered = await entry(waiting);
    expect(offered.status).to.equal('offered');
    const offer = (await api.getHold(offered.hold_id)).body;
    expect(offer).to.include({ status: 'active', qty: 2 });
    // middle of 7 seats is 4: run 4-5 is closest
    expect(offer.seats).to.deep.equal(['A4', 'A5']);
    expect((await api.seats(eventId)).body.rows[0].status).to.equal('HHHHHAA');
    expect((await api.holdSeats({ event_id: eventId, seats: ['A7'] })).status, 'nobody waits any more').to.equal(201);
    await assertInvariants(api, eventId, { complete: true });
  });

  it('seats back from a release go to the entries in join order; each offer is a hold of its qty, bookable with the entry token', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 4 }]);
    const all = await hold(eventId, { qty: 4 });
    const first = await join(eventId, { qty: 2, ttl: 300 });
    const second = await join(eventId, { qty: 1 });
    const releasedAt = Date.now();
    expect((await api.release(all.hold_id, all.payment_token)).status).to.equal(200);

    const e1 = await entry(first);
    const e2 = await entry(second);
    expect(e1).to.include({ status: 'offered', qty: 2 });
    expect(e1).to.not.have.property('position');
    expect(e2.status).to.equal('offered');
    expect(e1.hold_id).to.be.a('string');
    expect(Date.parse(e1.expires_at)).to.be.within(releasedAt + 299_000, Date.now() + 301_000);
    const offer = (await api.getHold(e1.hold_id)).body;
    expect(offer).to.include({ status: 'active', qty: 2, event_id: eventId, expires_at: e1.expires_at });
    expect(offer.items).to.deep.equal([{ category_id: 'ga', qty: 2 }]);
    expect(await category(eventId, 'ga')).to.include({ held: 3, available: 1, waiting: 0 });

    const booking = await api.book(e1.hold_id, first.token);
    expect(booking.status, JSON.stringify(booking.body)).to.equal(201);
    expect(booking.body.qty).to.equal(2);
    expect((await entry(first)).status).to.equal('booked');
    expect((await api.holdSeats({ event_id: eventId, qty: 1 })).status, 'the list is empty: public holds again').to.equal(201);

    const log = await api.readLog(eventId);
    const offers = log.filter((e) => e.type === 'hold.created' && e.entry_id);
    expect(offers.map((e) => [e.entry_id, e.hold_id, e.qty])).to.deep.equal([
      [first.entryId, e1.hold_id, 2],
      [second.entryId, e2.hold_id, 1],
    ]);
    await assertInvariants(api, eventId, { complete: true });
  });

  it('strictly in order: an entry wanting more than is free blocks those behind it until enough come back', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 3 }]);
    const holds = [await hold(eventId, { qty: 1 }), await hold(eventId, { qty: 1 }), await hold(eventId, { qty: 1 })];
    const big = await join(eventId, { qty: 2 });
    const small = await join(eventId, { qty: 1 });
    expect((await api.release(holds[0].hold_id, holds[0].payment_token)).status).to.equal(200);
    expect((await entry(big)).status).to.equal('waiting');
    const behind = await entry(small);
    expect(behind).to.include({ status: 'waiting', position: 2 });
    expect(await category(eventId, 'ga')).to.include({ available: 1, waiting: 2 });
    expectProblem(await api.holdSeats({ event_id: eventId, qty: 1 }), 409, 'waitlist-first');
    expect((await api.release(holds[1].hold_id, holds[1].payment_token)).status).to.equal(200);
    expect((await entry(big)).status).to.equal('offered');
    expect(await entry(small)).to.include({ status: 'waiting', position: 1 });
    expect((await api.release(holds[2].hold_id, holds[2].payment_token)).status).to.equal(200);
    expect((await entry(small)).status).to.equal('offered');
    await assertInvariants(api, eventId, { complete: true });
  });

  it('offered at once when the seats are there and nobody waits before it; waiting when someone does', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 5 }, { category_id: 'b', capacity: 5 }]);
    const now = await join(eventId, { qty: 2, category_id: 'ga', ttl: 120 }, 'offered');
    const read = await entry(now);
    expect(read).to.include({ status: 'offered', category_id: 'ga', qty: 2 });
    const offer = (await api.getHold(read.hold_id)).body;
    expect(Date.parse(offer.expires_at) - Date.parse(offer.created_at)).to.be.closeTo(120_000, 1_500);
    expect(await category(eventId, 'ga')).to.include({ held: 2, available: 3, waiting: 0 });
    // no ttl: the offer lives WAITLIST_OFFER_TTL_S (600 s)
    const plain = await entry(await join(eventId, { qty: 1, category_id: 'ga' }, 'offered'));
    const plainHold = (await api.getHold(plain.hold_id)).body;
    expect(Date.parse(plainHold.expires_at) - Date.parse(plainHold.created_at)).to.be.closeTo(600_000, 1_500);
    expect(plain.expires_at).to.equal(plainHold.expires_at);
    // b: a waiting entry first, then one that would fit
    await hold(eventId, { qty: 4, category_id: 'b' });
    await join(eventId, { qty: 3, category_id: 'b' });
    const behind = await join(eventId, { qty: 1, category_id: 'b' });
    expect(behind.body.position).to.equal(2);
    await assertInvariants(api, eventId, { complete: true });
  });

  it('seats back from an expiry, a cancellation and an entry leaving go to the next entry', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 3 }]);
    const short = await hold(eventId, { qty: 1, ttl: 3 }); // expires after the joins below
    const toBook = await hold(eventId, { qty: 1 });
    const booking = (await api.book(toBook.hold_id, toBook.payment_token)).body;
    const blocker = await hold(eventId, { qty: 1 });
    const a = await join(eventId, { qty: 1 });
    const b = await join(eventId, { qty: 1 });
    const c = await join(eventId, { qty: 2 });
    const d = await join(eventId, { qty: 1 });
    // expiry
    await eventually(async () => (await entry(a)).status === 'offered', { timeoutMs: 8_000 });
    void short;
    expect((await entry(b)).status).to.equal('waiting');
    // cancellation
    expect((await api.cancel(booking.booking_id, toBook.payment_token)).status).to.equal(200);
    expect((await entry(b)).status).to.equal('offered');
    // c wants 2 and blocks d; the blocker's release gives 1: still blocked; c leaves: d gets it
    expect((await api.release(blocker.hold_id, blocker.payment_token)).status).to.equal(200);
    expect((await entry(c)).status).to.equal('waiting');
    expect((await entry(d)).status).to.equal('waiting');
    const left = await api.leave(c.entryId, c.token);
    expect(left.status, JSON.stringify(left.body)).to.equal(200);
    expect(left.body.status).to.equal('left');
    expect((await entry(d)).status).to.equal('offered');
    expect(await category(eventId, 'ga')).to.include({ available: 0, held: 3, booked: 0, waiting: 0 });
    await assertInvariants(api, eventId, { complete: true });
  });

  it('an offer that lapses unbooked ends the entry expired, and its seats go to the next entry', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
    const all = await hold(eventId, { qty: 2 });
    const lapsing = await join(eventId, { qty: 2, ttl: 3 });
    const next = await join(eventId, { qty: 1, ttl: 60 });
    expect((await api.release(all.hold_id, all.payment_token)).status).to.equal(200);
    const offered = await entry(lapsing);
    expect(offered.status).to.equal('offered');
    expect((await entry(next)).status).to.equal('waiting');
    // once past due, a read of either entry finds the seats passed on: no waiting for a job
    await untilPast(offered.expires_at, 5);
    const read = await entry(next);
    expect(read.status, 'the next entry has the lapsed offer’s seats').to.equal('offered');
    expect((await entry(lapsing)).status).to.equal('expired');
    expectProblem(await api.book(offered.hold_id, lapsing.token), 410);
    expect((await api.book(read.hold_id, next.token)).status).to.equal(201);
    expect(await category(eventId, 'ga')).to.include({ available: 1, held: 0, booked: 1 });
    // an expired entry: leaving answers 200 with the entry as it is
    const leave = await api.leave(lapsing.entryId, lapsing.token);
    expect(leave.status).to.equal(200);
    expect(leave.body.status).to.equal('expired');
    // a booked one: 409
    expectProblem(await api.leave(next.entryId, next.token), 409);
    await assertInvariants(api, eventId, { complete: true });
  });

  it('DELETE /waitlist: 200 left, again the same; Entry-Token header; wrong token 403; unknown 404', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 1 }]);
    await hold(eventId, { qty: 1 });
    const one = await join(eventId, { qty: 1 });
    const two = await join(eventId, { qty: 1 });
    const three = await join(eventId, { qty: 1 });
    expectProblem(await api.leave(one.entryId, '00000000-0000-4000-8000-000000000000'), 403);
    const left = await api.leave(one.entryId, one.token);
    expect(left.status).to.equal(200);
    expect(left.body).to.include({ entry_id: one.entryId, status: 'left' });
    const again = await api.leave(one.entryId, one.token);
    expect(again.status).to.equal(200);
    expect(again.body.status).to.equal('left');
    expect((await entry(two)).position, 'the next moves up').to.equal(1);
    const header = await api.delete(`/waitlist/${two.entryId}`, undefined, { headers: { 'Entry-Token': two.token } });
    expect(header.status).to.equal(200);
    const wrapped = await api.delete(`/waitlist/${three.entryId}`, { entry: { entry_token: three.token } });
    expect(wrapped.status).to.equal(200);
    expect((await entry(three)).status).to.equal('left');
    expect((await category(eventId, 'ga')).waiting).to.equal(0);
    expectProblem(await api.getEntry(`${eventId}.00000000-0000-4000-8000-000000000000`), 404);
    expectProblem(await api.leave(`${eventId}.00000000-0000-4000-8000-000000000000`, one.token), 404);
  });

  it('an offered entry leaving releases its hold, and the seats go to the next entry', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
    const all = await hold(eventId, { qty: 2 });
    const first = await join(eventId, { qty: 2 });
    const second = await join(eventId, { qty: 2 });
    expect((await api.release(all.hold_id, all.payment_token)).status).to.equal(200);
    const offered = await entry(first);
    expect(offered.status).to.equal('offered');
    const left = await api.leave(first.entryId, first.token);
    expect(left.status).to.equal(200);
    expect(left.body.status).to.equal('left');
    expect((await api.getHold(offered.hold_id)).body.status).to.equal('released');
    expect((await entry(second)).status).to.equal('offered');
    await assertInvariants(api, eventId, { complete: true });
  });

  it('releasing an offered hold with DELETE /holds ends the entry left; extending it works with the entry token', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
    const all = await hold(eventId, { qty: 2 });
    const first = await join(eventId, { qty: 2, ttl: 60 });
    const second = await join(eventId, { qty: 1 });
    expect((await api.release(all.hold_id, all.payment_token)).status).to.equal(200);
    const offered = await entry(first);
    const extended = await api.extend(offered.hold_id, first.token, 120);
    expect(extended.status, JSON.stringify(extended.body)).to.equal(200);
    expectProblem(await api.release(offered.hold_id, second.token), 403);
    const released = await api.release(offered.hold_id, first.token);
    expect(released.status).to.equal(200);
    expect(released.body.status).to.equal('released');
    expect((await entry(first)).status).to.equal('left');
    expect((await entry(second)).status).to.equal('offered');
    await assertInvariants(api, eventId, { complete: true });
  });

  it('Idempotency-Key: a retried join gets the first answer again and joins (and takes seats) once', async () => {
    const eventId = await api.event([{ category_id: 'ga', capacity: 3 }]);
    const headers = { 'Idempotency-Key': `join-${eventId}` };
    const first = await api.post(`/events/${eventId}/waitlist`, { qty: 2 }, { headers });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body.status).to.equal('offered');
    const again = await api.post(`/events/${eventId}/waitlist`, { qty: 2 }, { headers });
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    expect(again.body).to.deep.equal(first.body);
    expect(await category(eventId, 'ga')).to.include({ held: 2, available: 1 });
    expectProblem(await api.post(`/events/${eventId}/waitlist`, { qty: 1 }, { headers }), 422);
    await api.entryWithOffer(first.body.entry_id, first.body.entry_token);
    await assertInvariants(api, eventId, { complete: true });
  });

  it('join validation: 422 for bad qty, ttl, category; 404 for an unknown event', async () => {
    const eventId = await api.event([{ category_id: 'a', capacity: 3 }, { category_id: 'b', capacity: 20 }], { max_per_hold: 6 });
    const bad: Record<string, unknown>[] = [
      { qty: 0, category_id: 'b' },
      { qty: 7, category_id: 'b' }, // above max_per_hold
      { qty: 4, category_id: 'a' }, // above the category's total
      { qty: 1 }, // two categories: category_id required
      { qty: 1, category_id: 'zz' },
      { qty: 1, category_id: 'b', ttl: 0 },
      { qty: 1, category_id: 'b', ttl: 901 },
      { qty: '1', category_id: 'b' },
      { qty: 1, category_id: 'b', colour: 'red' },
    ];
    for (const body of bad) {
      const response = await api.join(eventId, body);
      expectProblem(response, 422);
      expect(response.body.errors, JSON.stringify(body)).to.be.an('array').that.is.not.empty;
    }
    expectProblem(await api.join('00000000-0000-4000-8000-000000000000', { qty: 1 }), 404);
    expect((await api.getEvent(eventId)).body.held).to.equal(0);
  });
});
