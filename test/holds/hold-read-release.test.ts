import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { expectProblem } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// POST /holds, GET /holds/{id}, DELETE /holds/{id}, against the real service.

const DEFAULT_TTL_S = 150; // not the built-in 120, so the test sees the variable honoured
const MAX_QTY = 6;

describe('holds', () => {
  let app: TestService;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({
      MAX_QTY_PER_HOLD: String(MAX_QTY),
      HOLD_TTL_DEFAULT_S: String(DEFAULT_TTL_S),
      HOLD_TTL_MAX_S: '900',
    });
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

  /** checks expires_at lies ttlS after the request, with a generous margin either way */
  const expectExpiry = (expiresAt: string, sentAtMs: number, answeredAtMs: number, ttlS: number) => {
    expect(new Date(expiresAt).toISOString()).to.equal(expiresAt);
    const at = Date.parse(expiresAt);
    expect(at).to.be.within(sentAtMs + ttlS * 1000 - 2_000, answeredAtMs + ttlS * 1000 + 2_000);
  };

  const createHold = async (eventId: string, qty: number, extra: Record<string, unknown> = {}) => {
    const response = await app.api.hold(eventId, qty, extra);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body as { hold_id: string; payment_token: string; qty: number; expires_at: string };
  };

  /** polls GET /holds/{id} until it reads `expired` */
  const untilExpired = (holdId: string) =>
    eventually(async () => {
      const read = await app.api.get(`/holds/${holdId}`);
      expect(read.body.status).to.equal('expired');
      return read;
    }, { timeoutMs: 10_000 });

  describe('POST /holds', () => {
    it('holds seats: 201 with every field, status active, Location, seats moved to held', async () => {
      const eventId = await app.api.createEvent(10);
      const sentAt = Date.now();
      const created = await app.api.post('/holds', { event_id: eventId, qty: 3 });
      const answeredAt = Date.now();
      expect(created.status).to.equal(201);
      const hold = created.body;
      expect(hold).to.include({ event_id: eventId, qty: 3, requested_qty: 3, status: 'active' });
      expect(hold.hold_id).to.be.a('string').and.not.empty;
      expect(hold.payment_token).to.be.a('string');
      // ≥ 122 random bits: at least as long as a UUID's hex digits
      expect(hold.payment_token.replace(/-/g, '').length).to.be.at.least(31);
      expectExpiry(hold.expires_at, sentAt, answeredAt, DEFAULT_TTL_S);
      expect(created.headers.get('location')).to.equal(`/holds/${encodeURIComponent(hold.hold_id)}`);

      expect(await counts(eventId)).to.deep.equal({ available: 7, held: 3, booked: 0 });
      await invariants(eventId);
    });

    it('two holds get different ids and different payment tokens', async () => {
      const eventId = await app.api.createEvent(10);
      const first = await createHold(eventId, 1);
      const second = await createHold(eventId, 1);
      expect(first.hold_id).to.not.equal(second.hold_id);
      expect(first.payment_token).to.not.equal(second.payment_token);
    });

    it('accepts the Rails seed\'s wrapped body {"hold":{…}} with the event id as a JSON string', async () => {
      const eventId = await app.api.createEvent(5);
      const created = await app.api.post('/holds', { hold: { event_id: String(eventId), qty: 2, ttl: 60 } });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body).to.include({ event_id: eventId, qty: 2, requested_qty: 2, status: 'active' });
      expect((await counts(eventId)).held).to.equal(2);
      await invariants(eventId);
    });

    it('respects the ttl the request names', async () => {
      const eventId = await app.api.createEvent(5);
      for (const ttl of [30, 600]) {
        const sentAt = Date.now();
        const created = await app.api.hold(eventId, 1, { ttl });
        const answeredAt = Date.now();
        expect(created.status).to.equal(201);
        expectExpiry(created.body.expires_at, sentAt, answeredAt, ttl);
      }
    });

    it('uses HOLD_TTL_DEFAULT_S when no ttl is named', async () => {
      const eventId = await app.api.createEvent(5);
      const sentAt = Date.now();
      const created = await app.api.hold(eventId, 1);
      const answeredAt = Date.now();
      expect(created.status).to.equal(201);
      expectExpiry(created.body.expires_at, sentAt, answeredAt, DEFAULT_TTL_S);
    });

    it('partial: true takes what is left (qty < requested_qty)', async () => {
      const eventId = await app.api.createEvent(5);
      await createHold(eventId, 3);
      const partial = await app.api.hold(eventId, 4, { partial: true });
      expect(partial.status).to.equal(201);
      expect(partial.body).to.include({ qty: 2, requested_qty: 4, status: 'active' });
      expect(await counts(eventId)).to.deep.equal({ available: 0, held: 5, booked: 0 });
      const read = await app.api.get(`/holds/${partial.body.hold_id}`);
      expect(read.body).to.include({ qty: 2, status: 'active' });
      await invariants(eventId);
    });

    it('partial: true with enough seats takes all it asked for', async () => {
      const eventId = await app.api.createEvent(5);
      const full = await app.api.hold(eventId, 4, { partial: true });
      expect(full.status).to.equal(201);
      expect(full.body).to.include({ qty: 4, requested_qty: 4 });
    });

    it('partial: false (and by default) is all or nothing: 409 naming how many are available', async () => {
      const eventId = await app.api.createEvent(5);
      await createHold(eventId, 3);
      for (const extra of [{}, { partial: false }]) {
        const refused = await app.api.hold(eventId, 4, extra);
        expectProblem(refused, 409);
        expect(refused.body.available).to.equal(2);
        expect(refused.body.detail).to.match(/\b2\b/);
      }
      expect(await counts(eventId)).to.deep.equal({ available: 2, held: 3, booked: 0 });
      await invariants(eventId);
    });

    it('none left at all is a 409 even with partial: true', async () => {
      const eventId = await app.api.createEvent(2);
      await createHold(eventId, 2);
      const refused = await app.api.hold(eventId, 1, { partial: true });
      expectProblem(refused, 409);
      expect(refused.body.available).to.equal(0);
      expect(refused.body.detail).to.match(/\b0\b/);
      expect(await counts(eventId)).to.deep.equal({ available: 0, held: 2, booked: 0 });
      await invariants(eventId);
    });

    it('accepts the FastAPI seed\'s ?hold_ttl=MINUTES', async () => {
      const eventId = await app.api.createEvent(5);
      const sentAt = Date.now();
      const created = await app.api.post('/holds?hold_ttl=2', { event_id: eventId, qty: 1 });
      const answeredAt = Date.now();
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expectExpiry(created.body.expires_at, sentAt, answeredAt, 120);
    });

    it('accepts the FastAPI seed\'s ?allot_partial=true', async () => {
      const eventId = await app.api.createEvent(3);
      const created = await app.api.post('/holds?allot_partial=true', { event_id: eventId, qty: 5 });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body).to.include({ qty: 3, requested_qty: 5 });

      const other = await app.api.createEvent(3);
      const refused = await app.api.post('/holds?allot_partial=false', { event_id: other, qty: 5 });
      expectProblem(refused, 409);
      expect(await counts(other)).to.deep.equal({ available: 3, held: 0, booked: 0 });
      await invariants(eventId);
    });

    it(`qty above MAX_QTY_PER_HOLD (${MAX_QTY}) is a 422 naming qty; the limit itself is fine`, async () => {
      const eventId = await app.api.createEvent(100);
      const refused = await app.api.hold(eventId, MAX_QTY + 1);
      expectProblem(refused, 422);
      expect(refused.body.errors.map((e: { field: string }) => e.field)).to.include('qty');
      expect(await counts(eventId)).to.deep.equal({ available: 100, held: 0, booked: 0 });
      const atLimit = await app.api.hold(eventId, MAX_QTY);
      expect(atLimit.status).to.equal(201);
      await invariants(eventId);
    });

    it('qty above the event\'s own lower max_per_hold is a 422', async () => {
      const eventId = await app.api.createEvent(100, { max_per_hold: 2 });
      const refused = await app.api.hold(eventId, 3);
      expectProblem(refused, 422);
      expect(refused.body.detail).to.match(/\b2\b/);
      expect(await counts(eventId)).to.deep.equal({ available: 100, held: 0, booked: 0 });
      // partial does not turn an over-limit request into a smaller hold
      expectProblem(await app.api.hold(eventId, 3, { partial: true }), 422);
      expect((await app.api.hold(eventId, 2)).status).to.equal(201);
      expect(await counts(eventId)).to.deep.equal({ available: 98, held: 2, booked: 0 });
      await invariants(eventId);
    });

    it('an event max_per_hold above the service limit does not raise it', async () => {
      const eventId = await app.api.createEvent(100, { max_per_hold: 50 });
      expectProblem(await app.api.hold(eventId, MAX_QTY + 1), 422);
      expect((await counts(eventId)).held).to.equal(0);
    });

    it('an unknown event is a 404', async () => {
      for (const eventId of [randomUUID(), 'no-such-event', '12345', 12345]) {
        const refused = await app.api.post('/holds', { event_id: eventId, qty: 1 });
        expectProblem(refused, 404);
      }
    });
  });

  describe('GET /holds/{id}', () => {
    it('shows an active hold, never its payment token', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2, { ttl: 300 });
      const read = await app.api.get(`/holds/${hold.hold_id}`);
      expect(read.status).to.equal(200);
      expect(read.body).to.include({
        hold_id: hold.hold_id,
        event_id: eventId,
        qty: 2,
        status: 'active',
        expires_at: hold.expires_at,
      });
      expect(read.body).to.not.have.property('payment_token');
      expect(read.body).to.not.have.property('booking_id');
      expect(JSON.stringify(read.body)).to.not.include(hold.payment_token);
    });

    it('an unknown hold is a 404', async () => {
      const eventId = await app.api.createEvent(5);
      for (const holdId of [`${eventId}.${randomUUID()}`, `${randomUUID()}.${randomUUID()}`, eventId, 'nope', '42']) {
        expectProblem(await app.api.get(`/holds/${encodeURIComponent(holdId)}`), 404);
      }
    });
  });

  describe('DELETE /holds/{id}', () => {
    it('releases with the token in the body: 200 released, seats back; again → the same 200', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 3);
      const released = await app.api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token });
      expect(released.status, JSON.stringify(released.body)).to.equal(200);
      expect(released.body).to.include({ hold_id: hold.hold_id, event_id: eventId, qty: 3, status: 'released' });
      expect(released.body).to.not.have.property('payment_token');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });

      const again = await app.api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token });
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(released.body);
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });

      expect((await app.api.get(`/holds/${hold.hold_id}`)).body.status).to.equal('released');
      await invariants(eventId);
    });

    it('releases with the Rails seed\'s wrapped body {"hold":{"payment_token":…}}', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2);
      const released = await app.api.delete(`/holds/${hold.hold_id}`, { hold: { payment_token: hold.payment_token } });
      expect(released.status, JSON.stringify(released.body)).to.equal(200);
      expect(released.body.status).to.equal('released');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
      await invariants(eventId);
    });

    it('releases with the token in a Payment-Token header and no body', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2);
      const released = await app.api.delete(`/holds/${hold.hold_id}`, undefined, {
        headers: { 'Payment-Token': hold.payment_token },
      });
      expect(released.status, JSON.stringify(released.body)).to.equal(200);
      expect(released.body.status).to.equal('released');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
      await invariants(eventId);
    });

    it('a wrong token is a 403 and changes nothing', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2);
      const attempts = [
        () => app.api.delete(`/holds/${hold.hold_id}`, { payment_token: randomUUID() }),
        () => app.api.delete(`/holds/${hold.hold_id}`, undefined, { headers: { 'Payment-Token': randomUUID() } }),
        () => app.api.delete(`/holds/${hold.hold_id}`, { payment_token: `${hold.payment_token}x` }),
      ];
      for (const attempt of attempts) expectProblem(await attempt(), 403);
      expect((await app.api.get(`/holds/${hold.hold_id}`)).body.status).to.equal('active');
      expect(await counts(eventId)).to.deep.equal({ available: 3, held: 2, booked: 0 });
      await invariants(eventId);
    });

    it('a missing token is a 422 and changes nothing', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2);
      for (const body of [undefined, {}, { hold: {} }]) {
        const refused = await app.api.delete(`/holds/${hold.hold_id}`, body);
        expectProblem(refused, 422);
        expect(refused.body.errors.map((e: { field: string }) => e.field)).to.include('payment_token');
      }
      expect((await app.api.get(`/holds/${hold.hold_id}`)).body.status).to.equal('active');
      expect(await counts(eventId)).to.deep.equal({ available: 3, held: 2, booked: 0 });
    });

    it('an unknown hold is a 404', async () => {
      const eventId = await app.api.createEvent(5);
      for (const holdId of [`${eventId}.${randomUUID()}`, 'nope']) {
        expectProblem(await app.api.delete(`/holds/${holdId}`, { payment_token: randomUUID() }), 404);
      }
    });

    it('a released hold cannot be booked: 410', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2);
      expect((await app.api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token })).status).to.equal(200);
      const book = await app.api.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token });
      expectProblem(book, 410);
      expect(book.body.hold_status).to.equal('released');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
      await invariants(eventId);
    });

    it('a booked hold cannot be released: 409, the booking stands', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2);
      const booked = await app.api.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token });
      expect(booked.status).to.equal(201);
      const refused = await app.api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token });
      expectProblem(refused, 409);
      const read = await app.api.get(`/holds/${hold.hold_id}`);
      expect(read.body).to.include({ status: 'booked', booking_id: booked.body.booking_id });
      expect(await counts(eventId)).to.deep.equal({ available: 3, held: 0, booked: 2 });
      await invariants(eventId);
    });

    it('an expired hold cannot be released: 410, its seats are available again', async () => {
      const eventId = await app.api.createEvent(5);
      const hold = await createHold(eventId, 2, { ttl: 1 });
      await untilExpired(hold.hold_id);
      const refused = await app.api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token });
      expectProblem(refused, 410);
      expect(refused.body.hold_status).to.equal('expired');
      expect((await app.api.get(`/holds/${hold.hold_id}`)).body.status).to.equal('expired');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
      await invariants(eventId);
    });
  });
});
