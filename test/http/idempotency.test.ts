import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { sendFrom } from '../helpers/from-address.js';
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
    const snapshot = await assertInvariants(app.api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
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
    const snapshot = await assertInvariants(app.api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
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

describe('Idempotency-Key belongs to one client', () => {
  const API_KEY = 'X-Api-Key';

  describe('clients named by CLIENT_ID_HEADER', () => {
    let app: TestService;
    before(async () => (app = await startTestService({ CLIENT_ID_HEADER: API_KEY })));
    after(() => app.stop());

    const as = (client: string, key: string) => ({ headers: { [API_KEY]: client, 'Idempotency-Key': key } });

    it('two clients sending the same key and body each get their own hold; neither sees the other\'s token', async () => {
      const eventId = await app.api.createEvent(10);
      const key = randomUUID();
      const body = { event_id: eventId, qty: 2 };
      const alice = await app.api.post('/holds', body, as('alice', key));
      const bob = await app.api.post('/holds', body, as('bob', key));
      expect(alice.status).to.equal(201);
      expect(bob.status).to.equal(201);
      expect(bob.headers.get('idempotent-replayed')).to.equal(null);
      expect(bob.body.hold_id).to.not.equal(alice.body.hold_id);
      expect(JSON.stringify(bob.body)).to.not.include(alice.body.payment_token);
      // Each one's retry replays its own answer.
      const aliceAgain = await app.api.post('/holds', body, as('alice', key));
      const bobAgain = await app.api.post('/holds', body, as('bob', key));
      expect(aliceAgain.body).to.deep.equal(alice.body);
      expect(bobAgain.body).to.deep.equal(bob.body);
      expect(JSON.stringify(bobAgain.body)).to.not.include(alice.body.payment_token);
      expect(JSON.stringify(aliceAgain.body)).to.not.include(bob.body.payment_token);
      expect((await assertInvariants(app.api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix })).held).to.equal(4);
    });

    it('two clients sending the same key to POST /events each create their own event', async () => {
      const key = randomUUID();
      const body = { name: 'Shared key', total_seats: 3 };
      const alice = await app.api.post('/events', body, as('alice', key));
      const bob = await app.api.post('/events', body, as('bob', key));
      expect([alice.status, bob.status]).to.deep.equal([201, 201]);
      expect(bob.body.event_id).to.not.equal(alice.body.event_id);
    });
  });

  describe('clients told apart by address (no CLIENT_ID_HEADER)', () => {
    let app: TestService;
    before(async () => (app = await startTestService()));
    after(() => app.stop());

    it('the same key and body from 127.0.0.1 and 127.0.0.2 give two holds; neither sees the other\'s token', async () => {
      const eventId = await app.api.createEvent(10);
      const headers = { 'Idempotency-Key': randomUUID() };
      const body = { event_id: eventId, qty: 3 };
      const post = (address: string) => sendFrom(address, app.service.url, 'POST', '/holds', body, headers);
      const first = await post('127.0.0.1');
      const second = await post('127.0.0.2');
      expect(first.status, JSON.stringify(first.body)).to.equal(201);
      expect(second.status, JSON.stringify(second.body)).to.equal(201);
      expect(second.headers['idempotent-replayed']).to.equal(undefined);
      expect(second.body.hold_id).to.not.equal(first.body.hold_id);
      expect(JSON.stringify(second.body)).to.not.include(first.body.payment_token);
      const firstAgain = await post('127.0.0.1');
      const secondAgain = await post('127.0.0.2');
      expect(firstAgain.body).to.deep.equal(first.body);
      expect(secondAgain.body).to.deep.equal(second.body);
      expect((await assertInvariants(app.api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix })).held).to.equal(6);
    });
  });
});

describe('Idempotency-Key and answers that depend on the moment (429, 503)', () => {
  const API_KEY = 'X-Api-Key';

  describe('HOLD_RATE_LIMIT', () => {
    let app: TestService;
    before(async () => (app = await startTestService({ HOLD_RATE_LIMIT: '1/s', CLIENT_ID_HEADER: API_KEY })));
    after(() => app.stop());

    it('a 429 is not stored: the retry after Retry-After is served', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      const as = (key: string) => ({ headers: { [API_KEY]: client, 'Idempotency-Key': key } });
      expect((await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(randomUUID()))).status).to.equal(201);
      const key = randomUUID();
      const refused = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(key));
      expect(refused.status).to.equal(429);
      const waitS = Number(refused.headers.get('retry-after'));
      expect(waitS).to.be.within(1, 2);
      // The client waits as told, and retries with the same key.
      await new Promise((resolve) => setTimeout(resolve, waitS * 1000 + 100));
      const retry = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(key));
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
      expect(retry.headers.get('idempotent-replayed')).to.equal(null);
      expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(2);
    });
  });

  describe('MAX_ACTIVE_HOLDS_PER_CLIENT', () => {
    let app: TestService;
    before(async () => (app = await startTestService({ MAX_ACTIVE_HOLDS_PER_CLIENT: '1', CLIENT_ID_HEADER: API_KEY })));
    after(() => app.stop());

    it('a 429 at the cap is not stored: once a hold is released, the retry with the same key is served', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      const as = (key: string) => ({ headers: { [API_KEY]: client, 'Idempotency-Key': key } });
      const held = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(randomUUID()));
      expect(held.status).to.equal(201);
      const key = randomUUID();
      const refused = await app.api.post('/holds', { event_id: eventId, qty: 2 }, as(key));
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
      const released = await app.api.delete(
        `/holds/${held.body.hold_id}`,
        { payment_token: held.body.payment_token },
        { headers: { [API_KEY]: client } },
      );
      expect(released.status).to.equal(200);
      const retry = await app.api.post('/holds', { event_id: eventId, qty: 2 }, as(key));
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
      expect(retry.body.qty).to.equal(2);
      // And that answer is stored: replayed, not a second hold.
      const again = await app.api.post('/holds', { event_id: eventId, qty: 2 }, as(key));
      expect(again.body).to.deep.equal(retry.body);
      expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(2);
    });
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
