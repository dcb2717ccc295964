import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Booking cancellation over real HTTP: by payment token or admin bearer, seats back exactly
// once, idempotent; and what an instance without ADMIN_TOKEN lets through.

const at = (iso: string) => Date.parse(iso);

describe('booking cancellation', () => {
  let app: TestService;
  let api: Api;
  let eventId: string;
  before(async () => {
    app = await startTestService({}, { admin: true });
    api = app.api;
    eventId = await api.event([{ category_id: 'ga', capacity: 20 }, { category_id: 's', rows: [{ row: 'A', seats: 6 }] }]);
  });
  after(() => app.stop());

  const booked = async (body: Record<string, unknown>) => {
    const h = await api.holdSeats({ event_id: eventId, ...body });
    expect(h.status, JSON.stringify(h.body)).to.equal(201);
    const b = await api.book(h.body.hold_id, h.body.payment_token);
    expect(b.status).to.equal(201);
    return { hold: h.body, booking: b.body };
  };

  it('by payment token: 200 cancelled with cancelled_at; again the same 200; seats back once; GET shows it', async () => {
    const { hold, booking } = await booked({ items: [{ category_id: 'ga', qty: 3 }, { category_id: 's', qty: 2 }] });
    expect((await api.getEvent(eventId)).body).to.include({ booked: 5, available: 21 });
    const first = await api.cancel(booking.booking_id, hold.payment_token);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body).to.include({ booking_id: booking.booking_id, hold_id: hold.hold_id, event_id: eventId, qty: 5, status: 'cancelled' });
    expect(first.body.seats).to.deep.equal(hold.seats);
    expect(Number.isNaN(at(first.body.cancelled_at))).to.equal(false);
    const again = await api.cancel(booking.booking_id, hold.payment_token);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    const read = await api.getBooking(booking.booking_id);
    expect(read.body).to.include({ status: 'cancelled', cancelled_at: first.body.cancelled_at });
    const event = (await api.getEvent(eventId)).body;
    expect(event).to.include({ booked: 0, held: 0, available: 26 });
    expect((await api.seats(eventId)).body.rows[0].status).to.equal('AAAAAA');
    const log = (await api.readLog(eventId)).filter((e) => e.type === 'booking.cancelled');
    expect(log.map((e) => `${e.category_id}:${e.qty}:${e.booking_id}:${e.hold_id}`).sort()).to.deep.equal(
      [`ga:3:${booking.booking_id}:${hold.hold_id}`, `s:2:${booking.booking_id}:${hold.hold_id}`].sort(),
    );
    await assertInvariants(api, eventId, { complete: true });
  });

  it('a /book retry after the cancellation answers 200 with the booking as it now is', async () => {
    const { hold, booking } = await booked({ qty: 1, category_id: 'ga' });
    expect((await api.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
    const retry = await api.book(hold.hold_id, hold.payment_token);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
    expect(retry.body).to.include({ booking_id: booking.booking_id, status: 'cancelled' });
    expect((await api.getEvent(eventId)).body.booked, 'the retry books nothing').to.equal(0);
  });

  it('the cancelled named seats can be held again (they are on sale exactly once)', async () => {
    const { hold, booking } = await booked({ seats: ['A2', 'A3'] });
    expect((await api.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
    const again = await api.holdSeats({ event_id: eventId, seats: ['A2', 'A3'] });
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    expect((await api.release(again.body.hold_id, again.body.payment_token)).status).to.equal(200);
    await assertInvariants(api, eventId, { complete: true });
  });

  it('the Payment-Token header and the `booking` wrapper carry the token; admin bearer cancels too', async () => {
    const a = await booked({ qty: 1, category_id: 'ga' });
    const byHeader = await api.post(`/bookings/${a.booking.booking_id}/cancel`, undefined, {
      headers: { 'Payment-Token': a.hold.payment_token },
    });
    expect(byHeader.status, JSON.stringify(byHeader.body)).to.equal(200);
    const b = await booked({ qty: 1, category_id: 'ga' });
    const wrapped = await api.post(`/bookings/${b.booking.booking_id}/cancel`, { booking: { payment_token: b.hold.payment_token } });
    expect(wrapped.status, JSON.stringify(wrapped.body)).to.equal(200);
    const c = await booked({ qty: 1, category_id: 'ga' });
    const admin = await api.cancelAsAdmin(c.booking.booking_id);
    expect(admin.status, JSON.stringify(admin.body)).to.equal(200);
    expect(admin.body.status).to.equal('cancelled');
    expect((await api.getEvent(eventId)).body.booked).to.equal(0);
  });

  it('wrong token 403, a bearer that is not the admin token 401, unknown booking 404 — nothing changes', async () => {
    const { hold, booking } = await booked({ qty: 2, category_id: 'ga' });
    expectProblem(await api.cancel(booking.booking_id, '00000000-0000-4000-8000-000000000000'), 403);
    expectProblem(
      await api.post(`/bookings/${booking.booking_id}/cancel`, undefined, { headers: { authorization: 'Bearer wrong' } }),
      401,
    );
    expectProblem(await api.cancel(`${eventId}.00000000-0000-4000-8000-000000000000`, hold.payment_token), 404);
    expect((await api.getBooking(booking.booking_id)).body.status).to.equal('confirmed');
    expect((await api.getEvent(eventId)).body.booked).to.equal(2);
    // with the admin token configured, a bearer that is not it is 401 even beside the right payment token
    expectProblem(
      await api.post(`/bookings/${booking.booking_id}/cancel`, { payment_token: hold.payment_token }, { headers: { authorization: 'Bearer wrong' } }),
      401,
    );
    expect((await api.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
  });
});

describe('booking cancellation without ADMIN_TOKEN', () => {
  let app: TestService;
  before(async () => (app = await startTestService({ ADMIN_TOKEN: '' })));
  after(() => app?.stop());

  it('operator endpoints are open; a bearer alone cancels nothing; the payment token does', async () => {
    const { api } = app;
    const eventId = await api.event([{ category_id: 'ga', capacity: 3 }]);
    expect((await api.log(eventId)).status).to.equal(200);
    const hold = (await api.holdSeats({ event_id: eventId, qty: 1 })).body;
    const booking = (await api.book(hold.hold_id, hold.payment_token)).body;
    const bearer = await api.post(`/bookings/${booking.booking_id}/cancel`, undefined, { headers: { authorization: 'Bearer anything' } });
    expect(bearer.status, JSON.stringify(bearer.body)).to.be.within(400, 499);
    expect((await api.getBooking(booking.booking_id)).body.status).to.equal('confirmed');
    expect((await api.cancel(booking.booking_id, hold.payment_token)).status).to.equal(200);
    await assertInvariants(api, eventId, { complete: true });
  });
});
