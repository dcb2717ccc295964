import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { expectProblem } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// POST /book and GET /bookings/{id}, against the real service.

describe('book', () => {
  let app: TestService;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '10', HOLD_TTL_DEFAULT_S: '120' });
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app?.stop());

  const counts = async (eventId: string) => {
    const { status, body } = await app.api.get(`/events/${eventId}`);
    expect(status).to.equal(200);
    const { available, held, booked } = body as { available: number; held: number; booked: number };
    return { available, held, booked };
  };
  const invariants = (eventId: string) => assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });

  const createHold = async (eventId: string, qty: number, extra: Record<string, unknown> = {}) => {
    const response = await app.api.hold(eventId, qty, extra);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body as { hold_id: string; payment_token: string; qty: number; expires_at: string };
  };

  const book = (holdId: string, paymentToken: string) =>
    app.api.post('/book', { hold_id: holdId, payment_token: paymentToken });

  /** polls GET /holds/{id} until it reads `expired` */
  const untilExpired = (holdId: string) =>
    eventually(async () => {
      const read = await app.api.get(`/holds/${holdId}`);
      expect(read.body.status).to.equal('expired');
    }, { timeoutMs: 10_000 });

  it('books a hold: 201 with every field and Location; the seats move from held to booked', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 3);
    const before = Date.now();
    const booked = await book(hold.hold_id, hold.payment_token);
    const after = Date.now();
    expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
    expect(booked.body).to.include({ hold_id: hold.hold_id, event_id: eventId, qty: 3 });
    expect(booked.body.booking_id).to.be.a('string').and.not.empty;
    expect(booked.body.booking_id).to.not.equal(hold.hold_id);
    expect(booked.body).to.not.have.property('payment_token');
    expect(new Date(booked.body.created_at).toISOString()).to.equal(booked.body.created_at);
    expect(Date.parse(booked.body.created_at)).to.be.within(before - 2_000, after + 2_000);
    expect(booked.headers.get('location')).to.equal(`/bookings/${encodeURIComponent(booked.body.booking_id)}`);

    expect(await counts(eventId)).to.deep.equal({ available: 7, held: 0, booked: 3 });
    const report = await invariants(eventId);
    expect(report.bookings).to.equal(1);
  });

  it('a retry gets 200 and the identical body, flat or {"booking":{…}} wrapped; no seat moves', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 2);
    const first = await book(hold.hold_id, hold.payment_token);
    expect(first.status).to.equal(201);

    const flat = await book(hold.hold_id, hold.payment_token);
    expect(flat.status).to.equal(200);
    expect(flat.body).to.deep.equal(first.body);

    const wrapped = await app.api.post('/book', {
      booking: { hold_id: hold.hold_id, payment_token: hold.payment_token },
    });
    expect(wrapped.status, JSON.stringify(wrapped.body)).to.equal(200);
    expect(wrapped.body).to.deep.equal(first.body);

    expect(await counts(eventId)).to.deep.equal({ available: 8, held: 0, booked: 2 });
    const report = await invariants(eventId);
    expect(report.bookings).to.equal(1);
  });

  it('the first booking may come wrapped {"booking":{…}} too', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 4);
    const booked = await app.api.post('/book', {
      booking: { hold_id: hold.hold_id, payment_token: hold.payment_token },
    });
    expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
    expect(booked.body).to.include({ hold_id: hold.hold_id, qty: 4 });
    expect(await counts(eventId)).to.deep.equal({ available: 6, held: 0, booked: 4 });
  });

  it('concurrent /book calls for one hold make one booking: one 201, the rest 200 with the same body', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 5);
    const responses = await Promise.all(Array.from({ length: 20 }, () => book(hold.hold_id, hold.payment_token)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201), statuses.join(',')).to.have.lengthOf(1);
    expect(statuses.filter((status) => status === 200), statuses.join(',')).to.have.lengthOf(19);
    for (const response of responses) expect(response.body).to.deep.equal(responses[0]!.body);
    expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 5 });
    const report = await invariants(eventId);
    expect(report.bookings).to.equal(1);
  });

  it('a wrong token is a 403 before the booking and after it; neither changes anything', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 2);
    expectProblem(await book(hold.hold_id, randomUUID()), 403);
    expect((await app.api.get(`/holds/${hold.hold_id}`)).body.status).to.equal('active');
    expect(await counts(eventId)).to.deep.equal({ available: 8, held: 2, booked: 0 });

    const first = await book(hold.hold_id, hold.payment_token);
    expect(first.status).to.equal(201);
    for (const token of [randomUUID(), `${hold.payment_token}x`, hold.payment_token.toUpperCase()]) {
      const refused = await book(hold.hold_id, token);
      expectProblem(refused, 403);
      expect(JSON.stringify(refused.body)).to.not.include(first.body.booking_id);
    }
    // the token of another hold does not open this one
    const other = await createHold(eventId, 1);
    expectProblem(await book(hold.hold_id, other.payment_token), 403);

    expect(await counts(eventId)).to.deep.equal({ available: 7, held: 1, booked: 2 });
    const report = await invariants(eventId);
    expect(report.bookings).to.equal(1);
  });

  it('an unknown hold is a 404', async () => {
    const eventId = await app.api.createEvent(10);
    for (const holdId of [`${eventId}.${randomUUID()}`, `${randomUUID()}.${randomUUID()}`, eventId, 'nope', 42]) {
      expectProblem(await app.api.post('/book', { hold_id: holdId, payment_token: randomUUID() }), 404);
    }
    expect(await counts(eventId)).to.deep.equal({ available: 10, held: 0, booked: 0 });
  });

  it('an expired hold cannot be booked: 410, and its seats are available', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 3, { ttl: 1 });
    await untilExpired(hold.hold_id);
    const refused = await book(hold.hold_id, hold.payment_token);
    expectProblem(refused, 410);
    // and again: still gone, never booked
    expectProblem(await book(hold.hold_id, hold.payment_token), 410);
    expect((await app.api.get(`/holds/${hold.hold_id}`)).body.status).to.equal('expired');
    expect(await counts(eventId)).to.deep.equal({ available: 10, held: 0, booked: 0 });
    const report = await invariants(eventId);
    expect(report.bookings).to.equal(0);
  });

  it('a booked hold never expires: a retry after its expires_at is still 200 with the same booking', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 2, { ttl: 1 });
    const first = await book(hold.hold_id, hold.payment_token);
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    // A hold made after the booking, with the same ttl, expires later than the booked one:
    // once the server calls it expired, the booked hold's expires_at has passed too.
    const witness = await createHold(eventId, 1, { ttl: 1 });
    expect(Date.parse(witness.expires_at)).to.be.at.least(Date.parse(hold.expires_at));
    await untilExpired(witness.hold_id);

    const retry = await book(hold.hold_id, hold.payment_token);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
    expect(retry.body).to.deep.equal(first.body);

    const read = await app.api.get(`/holds/${hold.hold_id}`);
    expect(read.body).to.include({ status: 'booked', booking_id: first.body.booking_id });
    expect(await counts(eventId)).to.deep.equal({ available: 8, held: 0, booked: 2 });
    const report = await invariants(eventId);
    expect(report.bookings).to.equal(1);
  });

  it('GET /bookings/{id} returns the booking; an unknown booking is a 404', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 2);
    const booked = await book(hold.hold_id, hold.payment_token);
    expect(booked.status).to.equal(201);
    const read = await app.api.get(`/bookings/${booked.body.booking_id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.equal(booked.body);

    for (const bookingId of [`${eventId}.${randomUUID()}`, hold.hold_id, eventId, 'nope', '42']) {
      expectProblem(await app.api.get(`/bookings/${encodeURIComponent(bookingId)}`), 404);
    }
  });

  it('GET /holds/{id} after booking shows status booked and the booking_id', async () => {
    const eventId = await app.api.createEvent(10);
    const hold = await createHold(eventId, 2);
    const booked = await book(hold.hold_id, hold.payment_token);
    expect(booked.status).to.equal(201);
    const read = await app.api.get(`/holds/${hold.hold_id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.include({
      hold_id: hold.hold_id,
      event_id: eventId,
      qty: 2,
      status: 'booked',
      booking_id: booked.body.booking_id,
    });
    expect(read.body).to.not.have.property('payment_token');
  });
});
