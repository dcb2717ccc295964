import { expect } from 'chai';
import { sendFrom } from '../helpers/from-address.js';
import { startTestService, type TestService } from '../helpers/service.js';

const asClient = (key: string) => ({ headers: { 'X-Api-Key': key } });

describe('per-client limits (off unless configured)', () => {
  describe('MAX_ACTIVE_HOLDS_PER_CLIENT across two instances', () => {
    let first: TestService;
    let second: TestService;
    before(async () => {
      const env = { MAX_ACTIVE_HOLDS_PER_CLIENT: '3', CLIENT_ID_HEADER: 'X-Api-Key' };
      first = await startTestService(env);
      second = await startTestService({ ...env, KEY_PREFIX: first.prefix });
    });
    after(async () => {
      await first.stop();
      await second.stop();
    });

    it('a client at its cap gets 429 with Retry-After, even when racing over two instances', async () => {
      const eventId = await first.api.createEvent(100);
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? first : second).api.post('/holds', { event_id: eventId, qty: 1 }, asClient('hoarder')),
        ),
      );
      const statuses = attempts.map((attempt) => attempt.status).sort();
      expect(statuses.filter((status) => status === 201)).to.have.length(3);
      expect(statuses.filter((status) => status === 429)).to.have.length(9);
      const refused = attempts.find((attempt) => attempt.status === 429)!;
      expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
      expect(refused.contentType).to.match(/^application\/problem\+json/);
      expect((await first.api.get(`/events/${eventId}`)).body.held).to.equal(3);
      // Another client is not affected.
      expect((await first.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('fan'))).status).to.equal(201);
    });

    it('booking or releasing a hold frees its place under the cap', async () => {
      const eventId = await first.api.createEvent(100);
      const holds = [];
      for (let i = 0; i < 3; i++) {
        holds.push((await first.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('buyer'))).body);
      }
      expect((await first.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('buyer'))).status).to.equal(429);
      const booked = await second.api.post(
        '/book',
        { hold_id: holds[0].hold_id, payment_token: holds[0].payment_token },
        asClient('buyer'),
      );
      expect(booked.status).to.equal(201);
      expect((await first.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('buyer'))).status).to.equal(201);
      expect((await first.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('buyer'))).status).to.equal(429);
      const released = await first.api.delete(
        `/holds/${holds[1].hold_id}`,
        { payment_token: holds[1].payment_token },
        asClient('buyer'),
      );
      expect(released.status).to.equal(200);
      expect((await second.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('buyer'))).status).to.equal(201);
    });

    it('a refused hold (no seats) does not count against the cap', async () => {
      const eventId = await first.api.createEvent(1);
      for (let i = 0; i < 5; i++) {
        expect((await first.api.post('/holds', { event_id: eventId, qty: 2 }, asClient('unlucky'))).status).to.equal(409);
      }
      expect((await first.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('unlucky'))).status).to.equal(201);
    });
  });

  describe('CLIENT_ID_HEADER absent from a request', () => {
    let app: TestService;
    before(async () => (app = await startTestService({ MAX_ACTIVE_HOLDS_PER_CLIENT: '1', CLIENT_ID_HEADER: 'X-Api-Key' })));
    after(() => app.stop());

    it('the client is the address the request came from', async () => {
      const eventId = await app.api.createEvent(10);
      const hold = (address: string, headers: Record<string, string> = {}) =>
        sendFrom(address, app.service.url, 'POST', '/holds', { event_id: eventId, qty: 1 }, headers);
      expect((await hold('127.0.0.1')).status, 'first hold from 127.0.0.1').to.equal(201);
      expect((await hold('127.0.0.1')).status, '127.0.0.1 is at its cap').to.equal(429);
      expect((await hold('127.0.0.2')).status, '127.0.0.2 is another client').to.equal(201);
      expect((await hold('127.0.0.2')).status, '127.0.0.2 is at its cap').to.equal(429);
      // With the header, the header names the client, whatever the address.
      expect((await hold('127.0.0.1', { 'X-Api-Key': 'partner' })).status).to.equal(201);
      expect((await hold('127.0.0.2', { 'X-Api-Key': 'partner' })).status).to.equal(429);
    });
  });

  describe('HOLD_RATE_LIMIT', () => {
    let app: TestService;
    before(async () => (app = await startTestService({ HOLD_RATE_LIMIT: '5/min', CLIENT_ID_HEADER: 'X-Api-Key' })));
    after(() => app.stop());

    it('hold requests past the rate get 429 with Retry-After; other clients are not affected', async () => {
      const eventId = await app.api.createEvent(100);
      const attempts = await Promise.all(
        Array.from({ length: 8 }, () => app.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('bot'))),
      );
      const statuses = attempts.map((attempt) => attempt.status);
      expect(statuses.filter((status) => status === 201)).to.have.length(5);
      expect(statuses.filter((status) => status === 429)).to.have.length(3);
      const refused = attempts.find((attempt) => attempt.status === 429)!;
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(5);
      expect((await app.api.post('/holds', { event_id: eventId, qty: 1 }, asClient('human'))).status).to.equal(201);
    });
  });

  describe('without configuration', () => {
    let app: TestService;
    before(async () => (app = await startTestService()));
    after(() => app.stop());

    it('one address may hold as often as it likes', async () => {
      const eventId = await app.api.createEvent(200);
      const attempts = await Promise.all(Array.from({ length: 60 }, () => app.api.hold(eventId, 1)));
      expect(attempts.every((attempt) => attempt.status === 201)).to.equal(true);
    });
  });
});
