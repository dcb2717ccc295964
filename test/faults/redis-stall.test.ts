import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { KeySpace } from '../../src/redis/keys.js';
import type { ApiResponse } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';
import { startStallProxy, type StallProxy } from '../helpers/stall-proxy.js';

// Redis stalls for a moment: a command reaches Redis and runs, its reply comes late, the
// service gives up waiting (REDIS_COMMAND_TIMEOUT_MS, 500 ms) and answers 503. The outcome
// is unknown to the service, so nothing may assume it failed: a retry with the same
// Idempotency-Key finds what the first attempt did and never takes seats twice, and the
// per-client cap keeps counting exactly the holds that exist. The service sits behind a
// proxy that holds back Redis's replies (test/helpers/stall-proxy.ts).

const STALL_MS = 800;
/** The contract's bound for a 503 while Redis is unreachable or too slow. */
const UNAVAILABLE_BOUND_MS = 1_000;
const API_KEY = 'X-Api-Key';

describe('Redis stalls after doing the work (replies held back)', function () {
  this.timeout(60_000);
  let redisUrl: string;
  let redis: Redis;
  let proxy: StallProxy;
  before(async () => {
    redisUrl = (await sharedRedis()).url;
    redis = new Redis(redisUrl);
    proxy = await startStallProxy(redisUrl);
  });
  after(async () => {
    redis.disconnect();
    await proxy.close();
  });

  /** The service over the proxy; its scripts are loaded into Redis before any stall. */
  async function serviceBehindProxy(env: Record<string, string> = {}): Promise<TestService> {
    const app = await startTestService({ REDIS_URL: proxy.url, ...env });
    const warmUp = await app.api.createEvent(10);
    const hold = await app.api.hold(warmUp, 1);
    expect(hold.status).to.equal(201);
    return app;
  }

  const timed = async (call: () => Promise<ApiResponse>) => {
    const started = performance.now();
    const response = await call();
    return { response, elapsedMs: performance.now() - started };
  };

  /** Retries as a client told "409, Retry-After: 1" or "503" would, until another answer. */
  async function retryUntilSettled(call: () => Promise<ApiResponse>, retryOn = [409, 503]): Promise<ApiResponse> {
    let last: ApiResponse | undefined;
    await eventually(
      async () => {
        last = await call();
        return !retryOn.includes(last.status);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    return last!;
  }

  /**
   * The scenario's premise: the stalled command ran in Redis. It was on its way when the
   * trigger fired; on a busy machine the 503 (the request's deadline) may come first.
   */
  const committed = (check: () => Promise<unknown>) => eventually(check, { timeoutMs: 3_000, intervalMs: 20 });

  const activeHolds = async (prefix: string, eventId: string) =>
    redis.hlen(new KeySpace(prefix).eventKeys(eventId).active);

  describe('POST /holds with an Idempotency-Key whose hold committed but whose reply was lost', () => {
    let app: TestService;
    before(async () => (app = await serviceBehindProxy()));
    after(() => app.stop());

    it('answers 503 within 1 s; the retry gets that hold and token, and no seat is taken twice', async () => {
      const eventId = await app.api.createEvent(10);
      const key = { headers: { 'Idempotency-Key': randomUUID() } };
      const body = { event_id: eventId, qty: 4 };

      const stalled = proxy.stallOn(`{${eventId}}`, STALL_MS);
      const first = await timed(() => app.api.post('/holds', body, key));
      await stalled;
      expect(first.response.status, JSON.stringify(first.response.body)).to.equal(503);
      expect(first.response.headers.get('retry-after')).to.match(/^\d+$/);
      expect(first.elapsedMs).to.be.below(UNAVAILABLE_BOUND_MS);
      // The scenario: the hold did happen in Redis, only its reply was late.
      await committed(async () => expect(await activeHolds(app.prefix, eventId), 'the first attempt committed').to.equal(1));

      await proxy.drained();
      const retry = await retryUntilSettled(() => app.api.post('/holds', body, key));
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
      expect(retry.body.qty).to.equal(4);
      expect(await activeHolds(app.prefix, eventId), 'no second hold').to.equal(1);
      const report = await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
      expect(report).to.include({ available: 6, held: 4 });

      // Later retries replay the same answer, and its token is the hold's.
      const again = await app.api.post('/holds', body, key);
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(retry.body);
      const booked = await app.api.post('/book', { hold_id: retry.body.hold_id, payment_token: retry.body.payment_token });
      expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
      expect(await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix })).to.include({ available: 6, booked: 4 });
    });

    it('a retry while the first attempt is still running (Redis slow, under the timeout) gets 409; one hold', async () => {
      const eventId = await app.api.createEvent(10);
      const key = { headers: { 'Idempotency-Key': randomUUID() } };
      const body = { event_id: eventId, qty: 2 };
      // Stalled on the first attempt's claim of the key: after the stall it still has its
      // hold script to run (a round trip) while the concurrent request reads the key's record.
      const stalled = proxy.stallOn(`${app.prefix}:idem:`, 300);
      const first = app.api.post('/holds', body, key);
      await stalled;
      const concurrent = await app.api.post('/holds', body, key);
      expect(concurrent.status, JSON.stringify(concurrent.body)).to.equal(409);
      expect(concurrent.headers.get('retry-after')).to.equal('1');
      const answered = await first;
      expect(answered.status, JSON.stringify(answered.body)).to.equal(201);
      const again = await app.api.post('/holds', body, key);
      expect(again.body).to.deep.equal(answered.body);
      expect(await activeHolds(app.prefix, eventId)).to.equal(1);
      await proxy.drained();
    });

    it('POST /events: the retry gets the event the first attempt created, and no second one exists', async () => {
      const name = `Stalled show ${randomUUID()}`;
      const key = { headers: { 'Idempotency-Key': randomUUID() } };
      const body = { name, total_seats: 5 };
      const eventsNamed = async () => {
        const ids = await redis.smembers(new KeySpace(app.prefix).eventIndex());
        const names = await Promise.all(ids.map((id) => redis.hget(new KeySpace(app.prefix).eventKeys(id).event, 'name')));
        return ids.filter((_, i) => names[i] === name);
      };

      const stalled = proxy.stallOn(name, STALL_MS);
      const first = await timed(() => app.api.post('/events', body, key));
      await stalled;
      expect(first.response.status, JSON.stringify(first.response.body)).to.equal(503);
      expect(first.elapsedMs).to.be.below(UNAVAILABLE_BOUND_MS);
      await committed(async () => expect(await eventsNamed(), 'the first attempt committed').to.have.length(1));

      await proxy.drained();
      const retry = await retryUntilSettled(() => app.api.post('/events', body, key));
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
      expect(await eventsNamed()).to.deep.equal([retry.body.event_id]);
      expect((await app.api.get(`/events/${retry.body.event_id}`)).body).to.include({ total: 5, available: 5 });
    });
  });

  describe('holds a lost reply leaves behind still expire on time', () => {
    let app: TestService;
    before(async () => {
      // As on a service that has run a while: another instance walked every event lately, so
      // this one's first sweep is no full walk that would find the holds by chance.
      const prefix = randomPrefix();
      await redis.set(`${new KeySpace(prefix).reconcilerLease()}:full-walk`, 'another instance', 'PX', 600_000);
      app = await serviceBehindProxy({ KEY_PREFIX: prefix });
    });
    after(() => app.stop());

    const LOST_REPLY_STALL_MS = 1_500;
    /** The bound the issue saw kept without a stall: the hold's record flips and the list moves on. */
    const FLIP_BOUND_MS = 3_000;

    /** Redis's own view, read directly: a request here could itself reclaim what it reads. */
    async function stored(eventId: string) {
      const keys = new KeySpace(app.prefix);
      const log = await redis.xrange(keys.eventKeys(eventId).log, '-', '+');
      return {
        holdStatus: async (holdId: string) => redis.hget(keys.holdKey(eventId, holdId.split('.')[1]!), 'status'),
        holdExpiresAt: async (holdId: string) => Number(await redis.hget(keys.holdKey(eventId, holdId.split('.')[1]!), 'expires_at')),
        entryStatus: async (entryId: string) => redis.hget(keys.entryKey(eventId, entryId.split('.')[1]!), 'status'),
        types: log.map(([, fields]) => fields[fields.indexOf('type') + 1]),
      };
    }

    /** Polls until `check` holds, failing if that comes later than `bound` (epoch ms). */
    async function byTheBound(bound: number, check: () => Promise<void>) {
      await eventually(check, { timeoutMs: Math.max(0, bound - Date.now()), intervalMs: 100 });
    }

    it('a hold answered 503 and then replayed to its retry: its state flips at expires_at and the waiting list is served', async () => {
      const eventId = await app.api.createEvent(2);
      const key = { headers: { 'Idempotency-Key': randomUUID() } };
      const body = { event_id: eventId, qty: 2, ttl: 2 };
      const stalled = proxy.stallOn(`{${eventId}}`, LOST_REPLY_STALL_MS);
      const first = await app.api.post('/holds', body, key);
      await stalled;
      expect(first.status, JSON.stringify(first.body)).to.equal(503);
      await committed(async () => expect(await activeHolds(app.prefix, eventId), 'the first attempt committed').to.equal(1));
      await proxy.drained();
      const retry = await retryUntilSettled(() => app.api.post('/holds', body, key));
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
      const joined = await app.api.post(`/events/${eventId}/waitlist`, { qty: 2 });
      expect(joined.body.status).to.equal('waiting');

      const expiresAt = Date.parse(retry.body.expires_at);
      await byTheBound(expiresAt + FLIP_BOUND_MS, async () => {
        const view = await stored(eventId);
        expect(await view.holdStatus(retry.body.hold_id)).to.equal('expired');
        expect(await view.entryStatus(joined.body.entry_id)).to.equal('offered');
        expect(view.types).to.include('hold.expired');
      });
      expect(await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix })).to.include({ held: 2, available: 0 });
    });

    /** Ways seats come back to a sold-out category: each makes an offer in the same script. */
    const givingBack: [string, (eventId: string) => Promise<{ give: () => Promise<ApiResponse> }>][] = [
      [
        'a release',
        async (eventId) => {
          const hold = await app.api.hold(eventId, 2, { ttl: 300 });
          return { give: () => app.api.delete(`/holds/${hold.body.hold_id}`, undefined, { headers: { 'payment-token': hold.body.payment_token } }) };
        },
      ],
      [
        'a cancellation',
        async (eventId) => {
          const hold = await app.api.hold(eventId, 2, { ttl: 300 });
          const booking = await app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token });
          expect(booking.status).to.equal(201);
          return { give: () => app.api.post(`/bookings/${booking.body.booking_id}/cancel`, { payment_token: hold.body.payment_token }) };
        },
      ],
      [
        'leaving the list with an offer',
        async (eventId) => {
          const hold = await app.api.hold(eventId, 2, { ttl: 300 });
          const offered = await app.api.post(`/events/${eventId}/waitlist`, { qty: 2, ttl: 300 });
          const released = await app.api.delete(`/holds/${hold.body.hold_id}`, undefined, { headers: { 'payment-token': hold.body.payment_token } });
          expect(released.status).to.equal(200);
          return { give: () => app.api.delete(`/waitlist/${offered.body.entry_id}`, undefined, { headers: { 'entry-token': offered.body.entry_token } }) };
        },
      ],
    ];

    for (const [how, setUp] of givingBack) {
      it(`${how} answered 503 after offering the seats: the offer lapses on time and the next entry is offered`, async () => {
        const eventId = await app.api.createEvent(2);
        const { give } = await setUp(eventId);
        const first = await app.api.post(`/events/${eventId}/waitlist`, { qty: 2, ttl: 2 });
        const second = await app.api.post(`/events/${eventId}/waitlist`, { qty: 2 });
        expect([first.body.status, second.body.status]).to.deep.equal(['waiting', 'waiting']);

        const stalled = proxy.stallOn(`{${eventId}}`, LOST_REPLY_STALL_MS);
        const answered = await give();
        await stalled;
        expect(answered.status, JSON.stringify(answered.body)).to.equal(503);
        await committed(async () => expect(await (await stored(eventId)).entryStatus(first.body.entry_id), 'the seats were offered').to.equal('offered'));
        await proxy.drained();

        const offerExpiresAt = await (await stored(eventId)).holdExpiresAt(first.body.entry_id);
        expect(offerExpiresAt).to.be.above(0);
        await byTheBound(offerExpiresAt + FLIP_BOUND_MS, async () => {
          const view = await stored(eventId);
          expect(await view.holdStatus(first.body.entry_id), 'the offer').to.equal('expired');
          expect(await view.entryStatus(first.body.entry_id)).to.equal('expired');
          expect(await view.entryStatus(second.body.entry_id), 'the next entry').to.equal('offered');
        });
        expect(await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix })).to.include({ held: 2, available: 0, booked: 0 });
      });
    }
  });

  describe('an Idempotency-Key attempt that goes on past its deadline', () => {
    let app: TestService;
    // Nothing expires holds but the requests themselves; replies slow but never timed out.
    before(async () => (app = await serviceBehindProxy({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0', REDIS_COMMAND_TIMEOUT_MS: '2000' })));
    after(() => app.stop());

    it('keeps its key while it runs: a retry gets 409 until it ends, then its answer; one hold', async () => {
      // More past-due holds than a hold reclaims on its way (200), the oldest of another
      // category: the hold finds no seats, gives every past-due hold back, and asks again.
      const created = await app.api.post('/events', {
        name: 'Long hold',
        categories: [{ category_id: 'a', capacity: 210 }, { category_id: 'b', capacity: 2 }],
      });
      const eventId = created.body.event_id as string;
      for (let i = 0; i < 205; i++) expect((await app.api.post('/holds', { event_id: eventId, category_id: 'a', qty: 1, ttl: 1 })).status).to.equal(201);
      const last = await app.api.post('/holds', { event_id: eventId, category_id: 'b', qty: 2, ttl: 1 });
      expect(last.status).to.equal(201);
      await eventually(async () => expect((await app.api.get(`/holds/${last.body.hold_id}`)).body.status).to.equal('expired'), { timeoutMs: 10_000 });

      const key = { headers: { 'Idempotency-Key': randomUUID() } };
      const body = { event_id: eventId, category_id: 'b', qty: 2 };
      // Every reply 400 ms late: the hold's commands (claim, hold, reclaim, hold, answer)
      // outlast the request's deadline, and go on after its 503.
      proxy.delayReplies(400);
      let first: ApiResponse;
      let retry: ApiResponse;
      try {
        first = await app.api.post('/holds', body, key);
        retry = await app.api.post('/holds', body, key);
      } finally {
        proxy.delayReplies(0);
      }
      expect(first.status, JSON.stringify(first.body)).to.equal(503);
      expect(retry.status, `the first attempt still runs: ${JSON.stringify(retry.body)}`).to.equal(409);
      expect(retry.headers.get('retry-after')).to.equal('1');
      expect(retry.body.type).to.match(/idempotency-in-flight$/);

      await proxy.drained();
      const settled = await retryUntilSettled(() => app.api.post('/holds', body, key));
      expect(settled.status, JSON.stringify(settled.body)).to.equal(201);
      expect(settled.headers.get('idempotent-replayed'), "the first attempt's answer").to.equal('true');
      expect(await activeHolds(app.prefix, eventId)).to.equal(1);
      expect(await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix })).to.include({ held: 2, available: 210 });
    });
  });

  describe('MAX_ACTIVE_HOLDS_PER_CLIENT and the hold agree whatever fails', () => {
    let app: TestService;
    before(async () => (app = await serviceBehindProxy({ MAX_ACTIVE_HOLDS_PER_CLIENT: '2', CLIENT_ID_HEADER: API_KEY })));
    after(() => app.stop());

    const as = (client: string, extra: Record<string, string> = {}) => ({ headers: { [API_KEY]: client, ...extra } });

    it('a cap reservation whose reply timed out does not lock the client out', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      // The first command naming the client's hold set is the reservation.
      const stalled = proxy.stallOn('}:holds', STALL_MS);
      const first = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client));
      await stalled;
      expect(first.status, JSON.stringify(first.body)).to.equal(503);
      expect(await activeHolds(app.prefix, eventId), 'no hold was made').to.equal(0);
      await proxy.drained();

      // The client may still make as many holds as its cap allows: two, then a 429. (A 429
      // is retried for a while: the service may settle the reservation just after answering.)
      const second = await retryUntilSettled(
        () => app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client)),
        [409, 429, 503],
      );
      expect(second.status, JSON.stringify(second.body)).to.equal(201);
      const third = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client));
      expect(third.status, JSON.stringify(third.body)).to.equal(201);
      const fourth = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client));
      expect(fourth.status).to.equal(429);
      expect(await activeHolds(app.prefix, eventId)).to.equal(2);
    });

    it('a hold that committed while its reply timed out stays counted: the client cannot go over its cap', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      const stalled = proxy.stallOn(`{${eventId}}`, STALL_MS);
      const first = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client));
      await stalled;
      expect(first.status, JSON.stringify(first.body)).to.equal(503);
      await committed(async () => expect(await activeHolds(app.prefix, eventId), 'the hold was made').to.equal(1));
      await proxy.drained();

      const second = await retryUntilSettled(() => app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client)));
      expect(second.status, JSON.stringify(second.body)).to.equal(201);
      // Whatever the service does after answering is given time to go wrong.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const third = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client));
      expect(third.status, 'two holds exist: the cap of 2 is reached').to.equal(429);
      expect(await activeHolds(app.prefix, eventId)).to.equal(2);
    });

    it('a booking answers without waiting for the cap bookkeeping that follows it', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      const hold = await app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client));
      expect(hold.status).to.equal(201);
      // The hold leaves the client's cap set after the booking: that command stalls.
      const stalled = proxy.stallOn('}:holds', 2_000);
      const book = await timed(() =>
        app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token }, as(client)),
      );
      await stalled;
      expect(book.response.status).to.equal(201);
      // Waiting for it would take the command timeout (500 ms) at least.
      expect(book.elapsedMs).to.be.below(450);
      await proxy.drained();
    });

    it('503 comes within 1 s for the whole request, with a key and a cap, while Redis stalls', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      const stalled = proxy.stallOn(`{${eventId}}`, 3_000);
      const first = await timed(() =>
        app.api.post('/holds', { event_id: eventId, qty: 1 }, as(client, { 'Idempotency-Key': randomUUID() })),
      );
      await stalled;
      expect(first.response.status).to.equal(503);
      expect(first.response.headers.get('retry-after')).to.match(/^\d+$/);
      expect(first.elapsedMs).to.be.below(UNAVAILABLE_BOUND_MS);
      await proxy.drained();
    });

    it('503 comes within 1 s also when every reply is slow (no single command times out)', async () => {
      const eventId = await app.api.createEvent(10);
      const client = `client-${randomUUID()}`;
      const key = as(client, { 'Idempotency-Key': randomUUID() });
      const body = { event_id: eventId, qty: 3 };
      proxy.delayReplies(400);
      let first;
      try {
        first = await timed(() => app.api.post('/holds', body, key));
      } finally {
        proxy.delayReplies(0);
      }
      expect(first.response.status).to.equal(503);
      expect(first.elapsedMs).to.be.below(UNAVAILABLE_BOUND_MS);
      await proxy.drained();
      // The work went on after the answer; a retry finds it, once.
      const retry = await retryUntilSettled(() => app.api.post('/holds', body, key));
      expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
      expect(await activeHolds(app.prefix, eventId)).to.equal(1);
      expect(await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix })).to.include({ held: 3 });
    });
  });
});
