import { expect } from 'chai';
import { Redis } from 'ioredis';
import { DueIndex, dueIndexKey, eventIdPages, nextExpiry, PARKED } from '../../src/jobs/due-index.js';
import { fullWalk, sweepDue } from '../../src/jobs/reconciler.js';
import { KeySpace } from '../../src/redis/keys.js';
import { eventually } from '../helpers/eventually.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// The index of events with holds falling due (event -> next expires_at): every hold puts its
// event there (ZADD LT, batched per event-loop turn); the reconciler sweeps only what it says
// is due, then moves the entry to the event's next expires_at or removes it; a hold made while
// an event is being swept is never dropped from it; a full walk repairs a lost update.

describe('due index: the reconciler sweeps what is due, not every event', function () {
  this.timeout(60_000);

  let redis: Redis;
  let app: TestService;
  let keys: KeySpace;
  let index: DueIndex;

  before(async () => {
    redis = new Redis((await sharedRedis()).url);
  });
  after(() => redis.disconnect());

  beforeEach(async () => {
    // Neither the worker nor the reconciler runs: the tests drive the sweeps.
    app = await startTestService({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0' });
    keys = new KeySpace(app.prefix);
    index = new DueIndex(redis, dueIndexKey(keys));
  });
  afterEach(() => app.stop());

  const holdFor = async (eventId: string, ttlS: number) => {
    const response = await app.api.hold(eventId, 1, { ttl: ttlS });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return { holdId: response.body.hold_id as string, expiresAtMs: Date.parse(response.body.expires_at) };
  };
  const scoreOf = async (eventId: string) => {
    const score = await redis.zscore(dueIndexKey(keys), eventId);
    return score === null ? null : Number(score);
  };
  const redisNowMs = async () => {
    const [s, us] = await redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  const deps = (sweptEvents: string[]) => ({
    client: redis,
    dueIndex: index,
    eventIds: () => eventIdPages(redis, keys),
    expirer: {
      sweepEvent: (eventId: string) => {
        sweptEvents.push(eventId);
        return app.service.expirer.sweepEvent(eventId);
      },
    } as typeof app.service.expirer,
  });

  it('a hold puts its event in the index at its earliest expires_at', async () => {
    const eventId = await app.api.createEvent(10);
    const later = await holdFor(eventId, 600);
    await eventually(async () => expect(await scoreOf(eventId)).to.not.equal(null));
    const first = (await scoreOf(eventId))!;
    // expires_at is answered to the millisecond; the index may note it a few ms later, never earlier.
    expect(first - later.expiresAtMs).to.be.within(0, 50);
    const sooner = await holdFor(eventId, 60);
    await eventually(async () => expect((await scoreOf(eventId))! - sooner.expiresAtMs).to.be.within(0, 50));
    await holdFor(eventId, 300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await scoreOf(eventId))! - sooner.expiresAtMs, 'a later hold does not move it later').to.be.within(0, 50);
  });

  it('a sweep touches only the events that are due, then moves or removes their entries', async () => {
    // Many events with nothing due, and two with a hold that falls due now.
    const idle = await Promise.all(Array.from({ length: 60 }, () => app.api.createEvent(5)));
    for (const eventId of idle.slice(0, 20)) await holdFor(eventId, 600);
    const dueAlone = await app.api.createEvent(5);
    const dueAndLater = await app.api.createEvent(5);
    const shortHold = await holdFor(dueAlone, 1);
    await holdFor(dueAndLater, 1);
    const laterHold = await holdFor(dueAndLater, 600);
    await eventually(async () => (await redisNowMs()) > shortHold.expiresAtMs + 1_100, { timeoutMs: 5_000 });

    const swept: string[] = [];
    const expired = await sweepDue(deps(swept));
    expect([...swept].sort(), 'only the events with holds due').to.deep.equal([dueAlone, dueAndLater].sort());
    expect(expired, 'holds expired').to.equal(2);
    expect(await scoreOf(dueAlone), 'no active hold left: entry removed').to.equal(null);
    expect((await scoreOf(dueAndLater))! - laterHold.expiresAtMs, 'moved to the next expires_at').to.be.within(0, 50);
    expect((await app.api.get(`/events/${dueAlone}`)).body).to.include({ available: 5, held: 0 });

    // Nothing due any more: a second sweep sweeps nothing.
    const again: string[] = [];
    expect(await sweepDue(deps(again))).to.equal(0);
    expect(again).to.deep.equal([]);
  });

  it('a hold made while its event is being swept keeps the event in the index', async () => {
    const eventId = await app.api.createEvent(5);
    await index.restore(eventId, 1); // due long ago
    // The sweep parks the entry, finds no hold, and is about to remove it...
    await index.park(eventId);
    expect(await scoreOf(eventId)).to.equal(PARKED);
    const next = await nextExpiry(redis, keys, eventId);
    expect(next).to.equal(null);
    // ...when a hold comes in and its update lands.
    const hold = await holdFor(eventId, 600);
    await eventually(async () => expect(await scoreOf(eventId)).to.not.equal(PARKED));
    await index.settle(eventId, next);
    expect((await scoreOf(eventId))! - hold.expiresAtMs, 'the new hold is still indexed').to.be.within(0, 50);
  });

  it('the full walk puts back an entry whose update was lost, and removes a parked one left by a crash', async () => {
    const withHold = await app.api.createEvent(5);
    const stranded = await app.api.createEvent(5);
    const hold = await holdFor(withHold, 600);
    await eventually(async () => expect(await scoreOf(withHold)).to.not.equal(null));
    await redis.zrem(dueIndexKey(keys), withHold); // the update that never arrived
    await index.restore(stranded, 1);
    await index.park(stranded); // a sweep that died between park and settle

    const swept: string[] = [];
    await fullWalk(deps(swept));
    expect(swept, 'every event walked').to.include.members([withHold, stranded]);
    expect((await scoreOf(withHold))! - hold.expiresAtMs).to.be.within(0, 50);
    expect(await scoreOf(stranded)).to.equal(null);
  });

  it('the running reconciler expires a hold from the index alone (full walk on its first turn only)', async () => {
    const running = await startTestService({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '200' });
    try {
      const eventId = await running.api.createEvent(3);
      const response = await running.api.hold(eventId, 2, { ttl: 1 });
      expect(response.status).to.equal(201);
      const runningKeys = new KeySpace(running.prefix);
      // The first turn took the full-walk lease; later turns go by the index.
      await eventually(async () => expect(await redis.pttl(`${runningKeys.reconcilerLease()}:full-walk`)).to.be.above(0));
      // Raw counts, not a read (which would reclaim by itself): the reconciler gave the seats back.
      await eventually(
        async () => {
          const counts = await redis.hmget(runningKeys.eventKeys(eventId).event, 'available', 'held');
          expect(counts.map(Number), 'raw counts: seats back').to.deep.equal([3, 0]);
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      await eventually(async () => expect(await redis.zscore(dueIndexKey(runningKeys), eventId)).to.equal(null));
    } finally {
      await running.stop();
    }
  });
});
