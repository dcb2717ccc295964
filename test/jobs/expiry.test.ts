import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseChildId } from '../../src/domain/ids.js';
import { EXPIRY_QUEUE_NAME } from '../../src/jobs/expiry-queue.js';
import { KeySpace } from '../../src/redis/keys.js';
import { ScriptCode, Scripts } from '../../src/redis/scripts.js';
import type { Api } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Hold expiry, proven one path at a time: the BullMQ job alone, the reconciler alone, the
// reconciler standing in for a lost job, jobs of holds that no longer need them, and reads
// that never count a past-due hold as held. The stored `status` field of the hold hash is
// what the worker and the reconciler change (GET derives expiry), so that is what we watch.

/** The contract allows 1 s; noisy machines get more, but never an early expiry. */
const EXPIRY_MARGIN_MS = 3_000;

describe('hold expiry', () => {
  let redisUrl: string;
  let redis: Redis;
  const started: TestService[] = [];
  const queues: Queue[] = [];

  before(async () => {
    redisUrl = (await sharedRedis()).url;
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await Promise.all(started.splice(0).map((app) => app.stop()));
  });
  after(() => redis.disconnect());

  async function start(env: Record<string, string>): Promise<TestService> {
    const app = await startTestService(env);
    started.push(app);
    return app;
  }

  function expiryQueue(app: TestService): Queue {
    const queue = new Queue(EXPIRY_QUEUE_NAME, { connection: redis, prefix: app.prefix });
    queues.push(queue);
    return queue;
  }

  const holdKeysOf = (app: TestService, holdId: string) => {
    const id = parseChildId(holdId);
    if (!id) throw new Error(`not a hold id: ${holdId}`);
    return new KeySpace(app.prefix).holdKey(id.eventId, id.localId);
  };

  const storedStatus = (app: TestService, holdId: string) => redis.hget(holdKeysOf(app, holdId), 'status');

  /** The event's stored counts, read raw: no snapshot, so nothing is reclaimed by reading. */
  async function rawCounts(app: TestService, eventId: string) {
    const [available, held, booked] = await redis.hmget(
      new KeySpace(app.prefix).eventKeys(eventId).event,
      'available',
      'held',
      'booked',
    );
    return { available: Number(available), held: Number(held), booked: Number(booked) };
  }

  async function serverTimeMs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Resolves once Redis's clock, which decides expiry, has reached `ms`. */
  const untilServerTime = (ms: number) =>
    eventually(
      async () => {
        if ((await serverTimeMs()) < ms) throw new Error('not due yet');
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );

  async function expiredCounter(api: Api): Promise<number> {
    const { status, body } = await api.get('/metrics');
    expect(status).to.equal(200);
    const match = /^boxoffice_holds_expired_total (\S+)$/m.exec(body as string);
    expect(match, 'boxoffice_holds_expired_total is exported').to.not.equal(null);
    return Number(match![1]);
  }

  async function hold(app: TestService, eventId: string, qty: number, ttl: number) {
    const response = await app.api.hold(eventId, qty, { ttl });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return {
      holdId: response.body.hold_id as string,
      token: response.body.payment_token as string,
      expiresAtMs: Date.parse(response.body.expires_at),
    };
  }

  /**
   * Polls the stored status (with Redis's clock, in one round trip) until it says
   * "expired"; returns how long after expires_at that was first seen.
   */
  async function lateness(app: TestService, holdId: string, expiresAtMs: number): Promise<number> {
    const key = holdKeysOf(app, holdId);
    const seenAt = await eventually(
      async () => {
        const replies = (await redis.multi().hget(key, 'status').time().exec()) ?? [];
        const status = replies[0]?.[1] as string | null;
        const [seconds, micros] = replies[1]?.[1] as [string, string];
        const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        if (status !== 'expired') {
          expect(status, 'status while waiting').to.equal('active');
          throw new Error(`hold still ${status} at ${now - expiresAtMs} ms after expires_at`);
        }
        return now;
      },
      { timeoutMs: expiresAtMs - Date.now() + EXPIRY_MARGIN_MS + 5_000, intervalMs: 25 },
    );
    return seenAt - expiresAtMs;
  }

  it('(1) the expiry job alone flips a hold to expired within the margin and gives its seats back', async () => {
    const app = await start({ RECONCILE_INTERVAL_MS: '0' });
    expect(app.service.reconciler, 'no reconciler in this instance').to.equal(null);
    const eventId = await app.api.createEvent(5);
    const expiredBefore = await expiredCounter(app.api);

    const { holdId, token, expiresAtMs } = await hold(app, eventId, 2, 1);
    expect(await storedStatus(app, holdId)).to.equal('active');
    expect(await rawCounts(app, eventId)).to.deep.equal({ available: 3, held: 2, booked: 0 });
    expect(await expiryQueue(app).getJob(holdId), 'a delayed job was scheduled').to.not.equal(undefined);

    const late = await lateness(app, holdId, expiresAtMs);
    expect(late, 'never before expires_at').to.be.at.least(0);
    expect(late, 'flipped soon after expires_at').to.be.at.most(EXPIRY_MARGIN_MS);
    // the job itself gave the seats back: read raw, before any snapshot could reclaim them
    expect(await rawCounts(app, eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
    expect(await expiredCounter(app.api), 'boxoffice_holds_expired_total').to.equal(expiredBefore + 1);

    expect((await app.api.get(`/holds/${holdId}`)).body.status).to.equal('expired');
    expect((await app.api.post('/book', { hold_id: holdId, payment_token: token })).status).to.equal(410);
    expect((await app.api.get(`/events/${eventId}`)).body).to.include({ available: 5, held: 0, booked: 0 });
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('(2) the reconciler alone (worker off) flips a hold to expired within the margin', async () => {
    const app = await start({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '500' });
    const eventId = await app.api.createEvent(5);
    const expiredBefore = await expiredCounter(app.api);

    const { holdId, expiresAtMs } = await hold(app, eventId, 3, 1);
    expect(await rawCounts(app, eventId)).to.deep.equal({ available: 2, held: 3, booked: 0 });

    const late = await lateness(app, holdId, expiresAtMs);
    expect(late).to.be.at.least(0);
    expect(late).to.be.at.most(EXPIRY_MARGIN_MS);
    expect(await rawCounts(app, eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
    // no worker ran it: the job is still waiting in the queue
    expect(await expiryQueue(app).getJob(holdId), 'the job was never processed').to.not.equal(undefined);
    expect(await expiredCounter(app.api), 'boxoffice_holds_expired_total').to.equal(expiredBefore + 1);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('(3) when the job is lost, the reconciler still expires the hold', async () => {
    const app = await start({ RECONCILE_INTERVAL_MS: '500' });
    const eventId = await app.api.createEvent(4);
    const expiredBefore = await expiredCounter(app.api);
    const queue = expiryQueue(app);

    const { holdId, expiresAtMs } = await hold(app, eventId, 4, 1);
    // The job is added after the answer (and BullMQ's remove says 1 for a job not there yet).
    await eventually(async () => expect(await queue.getJob(holdId)).to.not.equal(undefined));
    expect(await queue.remove(holdId), 'the job existed and was removed').to.equal(1);
    expect(await queue.getJob(holdId)).to.equal(undefined);

    const late = await lateness(app, holdId, expiresAtMs);
    expect(late).to.be.at.least(0);
    expect(late).to.be.at.most(EXPIRY_MARGIN_MS);
    expect(await rawCounts(app, eventId)).to.deep.equal({ available: 4, held: 0, booked: 0 });
    expect(await expiredCounter(app.api)).to.equal(expiredBefore + 1);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it("(4) a booked or released hold's job fires and changes nothing", async () => {
    const app = await start({ RECONCILE_INTERVAL_MS: '0' });
    const eventId = await app.api.createEvent(6);
    const queue = expiryQueue(app);
    const booked = await hold(app, eventId, 2, 1);
    const released = await hold(app, eventId, 1, 1);

    const booking = await app.api.post('/book', { hold_id: booked.holdId, payment_token: booked.token });
    expect(booking.status).to.equal(201);
    const release = await app.api.delete(`/holds/${released.holdId}`, { payment_token: released.token });
    expect(release.status).to.equal(200);
    expect(await queue.getJob(booked.holdId), 'the booked hold still has its job').to.not.equal(undefined);
    expect(await queue.getJob(released.holdId), 'the released hold still has its job').to.not.equal(undefined);

    const countsBefore = await rawCounts(app, eventId);
    expect(countsBefore).to.deep.equal({ available: 4, held: 0, booked: 2 });
    const recordBefore = await redis.hgetall(holdKeysOf(app, booked.holdId));
    const expiredBefore = await expiredCounter(app.api);

    // both jobs run (and, done, are deleted)
    await eventually(
      async () => {
        const left = await Promise.all([queue.getJob(booked.holdId), queue.getJob(released.holdId)]);
        if (left.some((job) => job !== undefined)) throw new Error('expiry jobs not run yet');
        return true;
      },
      { timeoutMs: Math.max(booked.expiresAtMs, released.expiresAtMs) - Date.now() + 10_000, intervalMs: 50 },
    );
    expect(await serverTimeMs()).to.be.at.least(booked.expiresAtMs);

    expect(await rawCounts(app, eventId)).to.deep.equal(countsBefore);
    expect(await redis.hgetall(holdKeysOf(app, booked.holdId))).to.deep.equal(recordBefore);
    expect(await storedStatus(app, booked.holdId)).to.equal('booked');
    expect(await storedStatus(app, released.holdId)).to.equal('released');
    expect(await expiredCounter(app.api)).to.equal(expiredBefore);
    expect((await app.api.get(`/holds/${booked.holdId}`)).body).to.include({
      status: 'booked',
      booking_id: booking.body.booking_id,
    });
    expect((await app.api.get(`/holds/${released.holdId}`)).body.status).to.equal('released');
    // a booked hold never expires: the retry after expires_at is the same booking
    const retry = await app.api.post('/book', { hold_id: booked.holdId, payment_token: booked.token });
    expect(retry.status).to.equal(200);
    expect(retry.body.booking_id).to.equal(booking.body.booking_id);
    expect((await app.api.get(`/events/${eventId}`)).body).to.include({ available: 4, held: 0, booked: 2 });
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('(5) reads never count a past-due hold as held, with worker and reconciler both off', async () => {
    const app = await start({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0' });
    const eventId = await app.api.createEvent(5);
    const expiredBefore = await expiredCounter(app.api);
    const { holdId, token, expiresAtMs } = await hold(app, eventId, 3, 2);
    expect((await app.api.get(`/events/${eventId}`)).body).to.include({ available: 2, held: 3 });

    await untilServerTime(expiresAtMs);
    // nothing has touched the hold: its record and the stored counts still say held
    expect(await storedStatus(app, holdId)).to.equal('active');
    expect(await rawCounts(app, eventId)).to.deep.equal({ available: 2, held: 3, booked: 0 });

    const read = await app.api.get(`/events/${eventId}`);
    expect(read.body).to.include({ total: 5, available: 5, held: 0, booked: 0 });
    expect((await app.api.get(`/holds/${holdId}`)).body.status).to.equal('expired');
    expect((await app.api.post('/book', { hold_id: holdId, payment_token: token })).status).to.equal(410);
    expect((await app.api.delete(`/holds/${holdId}`, { payment_token: token })).status).to.equal(410);
    expect(await expiredCounter(app.api), 'the read that reclaimed the seats counted the expiry').to.equal(
      expiredBefore + 1,
    );
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  /**
   * `count` holds of one seat on the event, made straight by the hold script with no reclaim on
   * the way (batch 0), so none takes back another however long making them takes; they all fall
   * due within a second. No job is scheduled: with the worker and reconciler off, nothing but
   * the service's own reads and holds will reclaim them. Resolves once all are past due.
   */
  async function seedPastDueHolds(app: TestService, eventId: string, count: number): Promise<void> {
    const scripts = new Scripts(redis);
    const keys = new KeySpace(app.prefix);
    const replies = await Promise.all(
      Array.from({ length: count }, () => {
        const localId = randomUUID();
        // event, hold, token digest, ttl, retention, reclaim batch, max qty, after full reclaim, mode, spec, admission
        return scripts.run('hold', keys.eventKey(eventId), [
          eventId, localId, 'unused', 1_000, 60_000, 0, 1, '0', 'qty', '|1|0|1', '', '',
        ]);
      }),
    );
    const expiries = replies.map((reply) => (reply.code === ScriptCode.Ok ? Number(reply.rest[1]) : Number.NaN));
    expect(expiries.filter(Number.isNaN), 'every seed hold made').to.deep.equal([]);
    await untilServerTime(Math.max(...expiries));
    expect(await rawCounts(app, eventId), 'nothing reclaimed yet').to.deep.equal({ available: 0, held: count, booked: 0 });
  }

  it('(5b) more past-due holds than one reclaim batch: a new hold, a partial hold and a read see every seat free', async () => {
    // A hold reclaims 200 past-due holds on its way, a read 1,000 per round.
    const seats = 450;
    const app = await start({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0', MAX_QTY_PER_HOLD: String(seats) });
    const [soldOut, partial, read] = await Promise.all([
      app.api.createEvent(seats),
      app.api.createEvent(seats),
      app.api.createEvent(1_100),
    ]);
    await Promise.all([
      seedPastDueHolds(app, soldOut, seats),
      seedPastDueHolds(app, partial, seats),
      seedPastDueHolds(app, read, 1_100),
    ]);

    // Every seat is in a past-due hold: the whole house can be held again, in one request...
    const whole = await app.api.hold(soldOut, seats);
    expect(whole.status, JSON.stringify(whole.body)).to.equal(201);
    expect(whole.body.qty).to.equal(seats);
    await assertInvariants(app.api, soldOut, { redis: redisUrl, prefix: app.prefix });

    // ...a partial hold takes every seat, not just the 200 its own reclaim gave back...
    const most = await app.api.hold(partial, seats, { partial: true });
    expect(most.status, JSON.stringify(most.body)).to.equal(201);
    expect(most.body).to.include({ qty: seats, requested_qty: seats });
    await assertInvariants(app.api, partial, { redis: redisUrl, prefix: app.prefix });

    // ...and one read shows every seat available (two reclaim rounds).
    expect((await app.api.get(`/events/${read}`)).body).to.include({ available: 1_100, held: 0, booked: 0 });
    await assertInvariants(app.api, read, { redis: redisUrl, prefix: app.prefix });
  });

  it('(6) boxoffice_holds_expired_total counts each expired hold once, whichever path gave its seats back', async () => {
    const app = await start({ RECONCILE_INTERVAL_MS: '300' });
    const eventId = await app.api.createEvent(10);
    const expiredBefore = await expiredCounter(app.api);
    const holds = await Promise.all([1, 2, 3, 1].map((qty) => hold(app, eventId, qty, 1)));
    const [withJobs, lost] = [holds.slice(0, 3), holds[3]!];
    // one hold loses its job, so the reconciler (or a read) has work too
    expect(await expiryQueue(app).remove(lost.holdId)).to.equal(1);
    expect(await expiredCounter(app.api)).to.equal(expiredBefore);

    // reads race the jobs and the reconciler for the seats while we wait
    await eventually(
      async () => {
        expect((await app.api.get(`/events/${eventId}`)).status).to.equal(200);
        expect(await rawCounts(app, eventId)).to.deep.equal({ available: 10, held: 0, booked: 0 });
        for (const h of withJobs) expect(await storedStatus(app, h.holdId)).to.equal('expired');
        return true;
      },
      { timeoutMs: lost.expiresAtMs - Date.now() + EXPIRY_MARGIN_MS + 5_000, intervalMs: 100 },
    );
    expect((await app.api.get(`/holds/${lost.holdId}`)).body.status).to.equal('expired');
    expect(await expiredCounter(app.api)).to.equal(expiredBefore + holds.length);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });
});
