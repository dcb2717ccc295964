import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

describe('Idempotency-Key on POST /events and POST /holds', () => {
  let app: TestService;
  before(async () => (app = await startTestService()));
  after(() => app.stop());

  const withKey = (key: string) => ({ headers: { 'Idempotency-Key': key } });

  it('a retried POST /holds gets the first response again and takes no more seats', async () => {
    const eventId = await app.api.createEvent(10);
    const key = randomUUID();
    const first = await app.api.post('/holds', { event_id: eventId, qty: 3 }, withKey(key));
    const retry = await app.api.post('/holds', { event_id: eventId, qty: 3 }, withKey(key));
    expect(first.status).to.equal(201);
    expect(retry.status).to.equal(201);
    expect(retry.body).to.deep.equal(first.body);
    expect(retry.headers.get('location')).to.equal(first.headers.get('location'));
    const snapshot = await assertInvariants(app.api, (await sharedRedis()).url, app.prefix, eventId);
    expect(snapshot.held).to.equal(3);
  });

  it('the wrapped and the flat form of one body count as the same request', async () => {
    const eventId = await app.api.createEvent(10);
    const key = randomUUID();
    const first = await app.api.post('/holds', { event_id: eventId, qty: 2 }, withKey(key));
    const retry = await app.api.post('/holds', { hold: { event_id: eventId, qty: 2 } }, withKey(key));
    expect(retry.body.hold_id).to.equal(first.body.hold_id);
  });

  it('a retried POST /events creates one event', async () => {
    const key = randomUUID();
    const first = await app.api.post('/events', { name: 'Once', total_seats: 7 }, withKey(key));
    const retry = await app.api.post('/events', { name: 'Once', total_seats: 7 }, withKey(key));
    expect(first.status).to.equal(201);
    expect(retry.status).to.equal(201);
    expect(retry.body.event_id).to.equal(first.body.event_id);
    expect(retry.headers.get('idempotent-replayed')).to.equal('true');
  });

  it('the same key with another body is a 422 and changes nothing', async () => {
    const eventId = await app.api.createEvent(10);
    const key = randomUUID();
    await app.api.post('/holds', { event_id: eventId, qty: 1 }, withKey(key));
    const other = await app.api.post('/holds', { event_id: eventId, qty: 2 }, withKey(key));
    expect(other.status).to.equal(422);
    expect(other.contentType).to.match(/^application\/problem\+json/);
    expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(1);
  });

  it('many concurrent requests with one key create one hold; the rest replay it or get 409 while in flight', async () => {
    const eventId = await app.api.createEvent(100);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => app.api.post('/holds', { event_id: eventId, qty: 2 }, withKey(key))),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 201 || status === 409), statuses.join(',')).to.equal(true);
    const holdIds = new Set(responses.filter((r) => r.status === 201).map((r) => r.body.hold_id));
    expect(holdIds.size).to.equal(1);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.headers.get('retry-after')).to.equal('1');
    }
    const snapshot = await assertInvariants(app.api, (await sharedRedis()).url, app.prefix, eventId);
    expect(snapshot.held).to.equal(2);
  });

  it('a refused hold (409) is replayed as the same refusal', async () => {
    const eventId = await app.api.createEvent(1);
    const key = randomUUID();
    const first = await app.api.post('/holds', { event_id: eventId, qty: 2 }, withKey(key));
    const retry = await app.api.post('/holds', { event_id: eventId, qty: 2 }, withKey(key));
    expect(first.status).to.equal(409);
    expect(retry.status).to.equal(409);
    expect(retry.body).to.deep.equal(first.body);
  });

  it('an invalid Idempotency-Key header is a 422', async () => {
    const eventId = await app.api.createEvent(1);
    const response = await app.api.post('/holds', { event_id: eventId, qty: 1 }, withKey('x'.repeat(300)));
    expect(response.status).to.equal(422);
    expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(0);
  });

  it('keys are kept for at least 24 hours', async () => {
    const key = randomUUID();
    await app.api.post('/events', { name: 'Kept', total_seats: 1 }, withKey(key));
    const { Redis } = await import('ioredis');
    const redis = new Redis((await sharedRedis()).url);
    try {
      const [stored] = await redis.keys(`${app.prefix}:idem:events:*`);
      expect(await redis.ttl(stored!)).to.be.greaterThan(24 * 3600 - 60);
    } finally {
      redis.disconnect();
    }
  });
});

describe('admin token', () => {
  let app: TestService;
  before(async () => (app = await startTestService({ ADMIN_TOKEN: 's3cret' })));
  after(() => app.stop());

  it('POST /events needs Authorization: Bearer <ADMIN_TOKEN> when one is configured', async () => {
    const body = { name: 'Guarded', total_seats: 5 };
    const none = await app.api.post('/events', body);
    const wrong = await app.api.post('/events', body, { headers: { Authorization: 'Bearer nope' } });
    const right = await app.api.post('/events', body, { headers: { Authorization: 'Bearer s3cret' } });
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
    expect(none.contentType).to.match(/^application\/problem\+json/);
    expect(wrong.status).to.equal(401);
    expect(right.status).to.equal(201);
  });

  it('holds and reads need no admin token', async () => {
    const created = await app.api.post('/events', { name: 'Open', total_seats: 5 }, { headers: { Authorization: 'Bearer s3cret' } });
    expect((await app.api.get(`/events/${created.body.event_id}`)).status).to.equal(200);
    expect((await app.api.hold(created.body.event_id, 1)).status).to.equal(201);
  });
});
