import { expect } from 'chai';
import { eventually } from '../helpers/eventually.js';
import { expectProblem, untilPast, V2 } from '../helpers/v2-api.js';
import { assertV2Invariants } from '../helpers/v2-invariants.js';
import { startV2Service, type V2Service } from '../helpers/v2-service.js';

// Hold extension (limits, the unchanged case, refusals that change nothing, the expiry job
// of an extended hold) and booking cancellation (by payment token or admin bearer, seats
// back exactly once, idempotent), over real HTTP.

const at = (iso: string) => Date.parse(iso);

describe('v2 hold extension', () => {
  let svc: V2Service;
  let v2: V2;
  let eventId: string;
  before(async () => {
    svc = await startV2Service({ HOLD_MAX_EXTENSIONS: '2', RECONCILE_INTERVAL_MS: '500' });
    v2 = svc.v2;
    eventId = await v2.event([{ category_id: 'ga', capacity: 50 }, { category_id: 's', rows: [{ row: 'A', seats: 10 }] }]);
  });
  after(() => svc.app.stop());

  const hold = async (ttl: number, extra: Record<string, unknown> = { qty: 2, category_id: 'ga' }) => {
    const response = await v2.hold({ event_id: eventId, ttl, ...extra });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };

  it('moves expires_at to now + ttl and uses one extension; GET /holds and the log agree', async () => {
    const h = await hold(10);
    expect(h.extensions_left).to.equal(2);
    const before = Date.now();
    const response = await v2.extend(h.hold_id, h.payment_token, 20);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body).to.include({ hold_id: h.hold_id, status: 'active', extensions_left: 1, qty: 2 });
    expect(at(response.body.expires_at)).to.be.within(before + 20_000 - 1_000, Date.now() + 20_000 + 1_000);
    expect(response.body).to.not.have.property('payment_token');
    const read = await v2.getHold(h.hold_id);
    expect(read.body).to.include({ expires_at: response.body.expires_at, extensions_left: 1, status: 'active' });
    const log = await v2.readLog(eventId);
    const extended = log.filter((e) => e.type === 'hold.extended' && e.hold_id === h.hold_id);
    expect(extended).to.have.length(1);
    expect(at(extended[0].expires_at)).to.equal(at(response.body.expires_at));
    expect(extended[0].category_id).to.equal('ga');
  });

  it('now + ttl not later than expires_at: 200 unchanged, no extension used — even with none left', async () => {
    const h = await hold(60);
    const same = await v2.extend(h.hold_id, h.payment_token, 5);
    expect(same.status).to.equal(200);
    expect(same.body).to.include({ expires_at: h.expires_at, extensions_left: 2 });
    expect((await v2.extend(h.hold_id, h.payment_token, 120)).body.extensions_left).to.equal(1);
    const last = await v2.api.post(`/holds/${h.hold_id}/extend`, { ttl: 180 }, { headers: { 'Payment-Token': h.payment_token } });
    expect(last.status, 'the Payment-Token header carries the token').to.equal(200);
    expect(last.body.extensions_left).to.equal(0);
    const refused = await v2.extend(h.hold_id, h.payment_token, 600);
    expectProblem(refused, 409);
    expect(refused.body.extensions_left).to.equal(0);
    expect((await v2.getHold(h.hold_id)).body.expires_at, 'a refused extension changes nothing').to.equal(last.body.expires_at);
    const unchanged = await v2.extend(h.hold_id, h.payment_token, 10);
    expect(unchanged.status, 'unchanged comes before the limits').to.equal(200);
    expect(unchanged.body).to.include({ expires_at: last.body.expires_at, extensions_left: 0 });
  });

  it('without ttl: HOLD_TTL_DEFAULT_S (120 s); the wrapper `hold` is accepted', async () => {
    const h = await hold(10);
    const before = Date.now();
    const response = await v2.api.post(`/holds/${h.hold_id}/extend`, { hold: { payment_token: h.payment_token } });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(at(response.body.expires_at)).to.be.within(before + 119_000, Date.now() + 121_000);
  });

  it('wrong token 403, unknown hold 404, ttl out of range 422 — and nothing changes', async () => {
    const h = await hold(30);
    expectProblem(await v2.extend(h.hold_id, '00000000-0000-4000-8000-000000000000', 60), 403);
    expectProblem(await v2.extend(`${eventId}.00000000-0000-4000-8000-000000000000`, h.payment_token, 60), 404);
    expectProblem(await v2.extend(h.hold_id, h.payment_token, 0), 422);
    expectProblem(await v2.extend(h.hold_id, h.payment_token, 901), 422);
    expectProblem(await v2.extend(h.hold_id, h.payment_token, 1.5), 422);
    expect((await v2.getHold(h.hold_id)).body).to.include({ expires_at: h.expires_at, extensions_left: 2 });
  });

  it('a booked hold → 409; a released one → 410', async () => {
    const booked = await hold(30);
    expect((await v2.book(booked.hold_id, booked.payment_token)).status).to.equal(201);
    expectProblem(await v2.extend(booked.hold_id, booked.payment_token, 60), 409);
    const released = await hold(30);
    expect((await v2.release(released.hold_id, released.payment_token)).status).to.equal(200);
    expectProblem(await v2.extend(released.hold_id, released.payment_token, 60), 410);
  });

  it('a hold past its expires_at is never revived: 410 even before its job ran, and again after', async () => {
    const h = await hold(1, { seats: ['A1', 'A2'] });
    await untilPast(h.expires_at, 30);
    expectProblem(await v2.extend(h.hold_id, h.payment_token, 60), 410);
    await eventually(async () => (await v2.getHold(h.hold_id)).body.status === 'expired');
    expectProblem(await v2.extend(h.hold_id, h.payment_token, 60), 410);
    expect((await v2.seats(eventId, 's')).body.rows[0].status.slice(0, 2)).to.equal('AA');
  });

  it('an extended hold keeps its seats until its new expires_at: its first expiry job does not expire it', async () => {
    const h = await hold(2, { seats: ['A5', 'A6'] });
    const extended = await v2.extend(h.hold_id, h.payment_token, 8);
    expect(extended.status, JSON.stringify(extended.body)).to.equal(200);
    // well past the first expires_at: its job (and a reconciler pass) had every chance to run
    await untilPast(h.expires_at, 2_500);
    const read = await v2.getHold(h.hold_id);
    expect(read.body.status, 'not expired early').to.equal('active');
    expect((await v2.seats(eventId, 's')).body.rows[0].status.slice(4, 6)).to.equal('HH');
    const booking = await v2.book(h.hold_id, h.payment_token);
    expect(booking.status, JSON.stringify(booking.body)).to.equal(201);
    expect(booking.body.seats).to.deep.equal(['A5', 'A6']);
    await assertV2Invariants(v2, eventId);
  });

  it('an extended hold does expire at its new expires_at, and its seats come back', async () => {
    const h = await hold(2, { seats: ['A8'] });
    const extended = await v2.extend(h.hold_id, h.payment_token, 3);
    expect(extended.status).to.equal(200);
    await untilPast(extended.body.expires_at, 30);
    expect((await v2.seats(eventId, 's')).body.rows[0].status[7], 'a past-due hold reads available').to.equal('A');
    expectProblem(await v2.book(h.hold_id, h.payment_token), 410);
    await eventually(async () => (await v2.getHold(h.hold_id)).body.status === 'expired', { timeoutMs: 3_000 });
    await assertV2Invariants(v2, eventId);
  });
});

describe('v2 hold extension at the lifetime bound', () => {
  let svc: V2Service;
  before(async () => (svc = await startV2Service({ HOLD_TTL_MAX_S: '60', HOLD_MAX_LIFETIME_S: '60' })));
  after(() => svc.app.stop());

  it('never past created_at + HOLD_MAX_LIFETIME_S; at the bound → 409 with extensions_left, nothing changed', async () => {
    const v2 = svc.v2;
    const eventId = await v2.event([{ category_id: 'ga', capacity: 5 }]);
    const h = (await v2.hold({ event_id: eventId, qty: 1, ttl: 30 })).body;
    const capped = await v2.extend(h.hold_id, h.payment_token, 60);
    expect(capped.status, JSON.stringify(capped.body)).to.equal(200);
    expect(at(capped.body.expires_at), 'capped at created_at + 60 s').to.equal(at(h.created_at) + 60_000);
    expect(capped.body.extensions_left).to.equal(2);
    const refused = await v2.extend(h.hold_id, h.payment_token, 60);
    expectProblem(refused, 409);
    expect(refused.body.extensions_left).to.equal(2);
    const read = (await v2.getHold(h.hold_id)).body;
    expect(read).to.include({ expires_at: capped.body.expires_at, extensions_left: 2, status: 'active' });
  });
});

describe('v2 booking cancellation', () => {
  let svc: V2Service;
  let v2: V2;
  let eventId: string;
  before(async () => {
    svc = await startV2Service();
    v2 = svc.v2;
    eventId = await v2.event([{ category_id: 'ga', capacity: 20 }, { category_id: 's', rows: [{ row: 'A', seats: 6 }] }]);
  });
  after(() => svc.app.stop());

  const booked = async (body: Record<string, unknown>) => {
    const h = await v2.hold({ event_id: eventId, ...body });
    expect(h.status, JSON.stringify(h.body)).to.equal(201);
    const b = await v2.book(h.body.hold_id, h.body.payment_token);
    expect(b.status).to.equal(201);
    return { hold: h.body, booking: b.body };
  };

  it('by payment token: 200 cancelled with cancelled_at; again the same 200; seats back once; GET shows it', async () => {
    const { hold, booking } = await booked({ items: [{ category_id: 'ga', qty: 3 }, { category_id: 's', qty: 2 }] });
    expect((await v2.getEvent(eventId)).body).to.include({ booked: 5, available: 21 });
    const first = await v2.cancel(booking.booking_id, hold.payment_token);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body).to.include({ booking_id: booking.booking_id, hold_id: hold.hold_id, event_id: eventId, qty: 5, status: 'cancelled' });
    expect(first.body.seats).to.deep.equal(hold.seats);
    expect(Number.isNaN(at(first.body.cancelled_at))).to.equal(false);
    const again = await v2.cancel(booking.booking_id, hold.payment_token);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    const read = await v2.getBooking(booking.booking_id);
    expect(read.body).to.include({ status: 'cancelled', cancelled_at: first.body.cancelled_at });
    const event = (await v2.getEvent(eventId)).body;
    expect(event).to.include({ booked: 0, held: 0, available: 26 });
    expect((await v2.seats(eventId)).body.rows[0].status).to.equal('AAAAAA');
    const log = (await v2.readLog(eventId)).filter((e) => e.type === 'booking.cancelled');
    expect(log.map((e) => `${e.category_id}:${e.qty}:${e.booking_id}:${e.hold_id}`).sort()).to.deep.equal(
      [`ga:3:${booking.booking_id}:${hold.hold_id}`, `s:2:${booking.booking_id}:${hold.hold_id}`].sort(),
    );
    await assertV2Invariants(v2, eventId, { complete: true });
  });

  it('a /book retry after the cancellation answers 200 with the booking as it now is', async () => {
    const { hold, booking } = await booked({ qty: 1, category_id: 'ga' });
    expect((await v2.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
    const retry = await v2.book(hold.hold_id, hold.payment_token);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
    expect(retry.body).to.include({ booking_id: booking.booking_id, status: 'cancelled' });
    expect((await v2.getEvent(eventId)).body.booked, 'the retry books nothing').to.equal(0);
  });

  it('the cancelled named seats can be held again (they are on sale exactly once)', async () => {
    const { hold, booking } = await booked({ seats: ['A2', 'A3'] });
    expect((await v2.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
    const again = await v2.hold({ event_id: eventId, seats: ['A2', 'A3'] });
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    expect((await v2.release(again.body.hold_id, again.body.payment_token)).status).to.equal(200);
    await assertV2Invariants(v2, eventId, { complete: true });
  });

  it('the Payment-Token header and the `booking` wrapper carry the token; admin bearer cancels too', async () => {
    const a = await booked({ qty: 1, category_id: 'ga' });
    const byHeader = await v2.api.post(`/bookings/${a.booking.booking_id}/cancel`, undefined, {
      headers: { 'Payment-Token': a.hold.payment_token },
    });
    expect(byHeader.status, JSON.stringify(byHeader.body)).to.equal(200);
    const b = await booked({ qty: 1, category_id: 'ga' });
    const wrapped = await v2.api.post(`/bookings/${b.booking.booking_id}/cancel`, { booking: { payment_token: b.hold.payment_token } });
    expect(wrapped.status, JSON.stringify(wrapped.body)).to.equal(200);
    const c = await booked({ qty: 1, category_id: 'ga' });
    const admin = await v2.cancelAsAdmin(c.booking.booking_id);
    expect(admin.status, JSON.stringify(admin.body)).to.equal(200);
    expect(admin.body.status).to.equal('cancelled');
    expect((await v2.getEvent(eventId)).body.booked).to.equal(0);
  });

  it('wrong token 403, a bearer that is not the admin token 401, unknown booking 404 — nothing changes', async () => {
    const { hold, booking } = await booked({ qty: 2, category_id: 'ga' });
    expectProblem(await v2.cancel(booking.booking_id, '00000000-0000-4000-8000-000000000000'), 403);
    expectProblem(
      await v2.api.post(`/bookings/${booking.booking_id}/cancel`, undefined, { headers: { authorization: 'Bearer wrong' } }),
      401,
    );
    expectProblem(await v2.cancel(`${eventId}.00000000-0000-4000-8000-000000000000`, hold.payment_token), 404);
    expect((await v2.getBooking(booking.booking_id)).body.status).to.equal('confirmed');
    expect((await v2.getEvent(eventId)).body.booked).to.equal(2);
    // with the admin token configured, a bearer that is not it is 401 even beside the right payment token
    expectProblem(
      await v2.api.post(`/bookings/${booking.booking_id}/cancel`, { payment_token: hold.payment_token }, { headers: { authorization: 'Bearer wrong' } }),
      401,
    );
    expect((await v2.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
  });
});

describe('v2 without ADMIN_TOKEN', () => {
  let svc: V2Service;
  before(async () => (svc = await startV2Service({ ADMIN_TOKEN: '' })));
  after(() => svc?.app.stop());

  it('operator endpoints are open; a bearer alone cancels nothing; the payment token does', async () => {
    const v2 = new V2(svc.app.api, undefined);
    const eventId = await v2.event([{ category_id: 'ga', capacity: 3 }]);
    expect((await v2.log(eventId)).status).to.equal(200);
    const hold = (await v2.hold({ event_id: eventId, qty: 1 })).body;
    const booking = (await v2.book(hold.hold_id, hold.payment_token)).body;
    const bearer = await v2.api.post(`/bookings/${booking.booking_id}/cancel`, undefined, { headers: { authorization: 'Bearer anything' } });
    expect(bearer.status, JSON.stringify(bearer.body)).to.be.within(400, 499);
    expect((await v2.getBooking(booking.booking_id)).body.status).to.equal('confirmed');
    expect((await v2.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
    await assertV2Invariants(v2, eventId, { complete: true });
  });
});
