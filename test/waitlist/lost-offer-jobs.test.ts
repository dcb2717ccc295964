import { expect } from 'chai';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { expiryQueueNames, shardOfHold } from '../../src/jobs/expiry-queue.js';
import { eventually, untilPast } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// A waiting-list offer whose expiry job is lost: the reconciler expires the offer and passes
// its seats to the next entry, with no client read to trigger it. (The one test here that
// reaches past HTTP: it removes the BullMQ job.)

describe('waiting list: an offer whose expiry job is lost', () => {
  let app: TestService;
  let redis: Redis;
  before(async () => {
    app = await startTestService({ RECONCILE_INTERVAL_MS: '300' }, { admin: true });
    redis = new Redis((await sharedRedis()).url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  it('is expired by the reconciler, and the next entry gets the seats', async () => {
    const { api } = app;
    const eventId = await api.event([{ category_id: 'ga', capacity: 2 }]);
    const all = (await api.holdSeats({ event_id: eventId, qty: 2, ttl: 600 })).body;
    const first = (await api.join(eventId, { qty: 2, ttl: 2 })).body;
    const second = (await api.join(eventId, { qty: 1, ttl: 60 })).body;
    expect([first.status, second.status]).to.deep.equal(['waiting', 'waiting']);
    expect((await api.release(all.hold_id, all.payment_token)).status).to.equal(200);
    const offered = (await api.getEntry(first.entry_id)).body;
    expect(offered.status).to.equal('offered');

    const shards = app.config.EXPIRY_QUEUES ?? 1;
    const queue = new Queue(expiryQueueNames(shards)[shardOfHold(offered.hold_id, shards)]!, { connection: redis, prefix: app.prefix });
    try {
      expect(await queue.remove(offered.hold_id), 'the offer had a job to lose').to.equal(1);
    } finally {
      await queue.close();
    }
    await untilPast(offered.expires_at, 0);
    // only GET /waitlist reads from here on: whatever serves the list is the service's own
    const next = await eventually(
      async () => {
        const read = (await api.getEntry(second.entry_id)).body;
        return read.status === 'offered' ? read : false;
      },
      { timeoutMs: 8_000, intervalMs: 100 },
    );
    expect((await api.getEntry(first.entry_id)).body.status).to.equal('expired');
    const log = await api.readLog(eventId);
    expect(log.map((e) => [e.type, e.hold_id])).to.deep.equal([
      ['hold.created', all.hold_id],
      ['hold.released', all.hold_id],
      ['hold.created', offered.hold_id],
      ['hold.expired', offered.hold_id],
      ['hold.created', next.hold_id],
    ]);
    expect([log[2].entry_id, log[4].entry_id]).to.deep.equal([first.entry_id, second.entry_id]);
    await api.entryWithOffer(second.entry_id, second.entry_token);
    await assertInvariants(api, eventId);
    expect((await api.getEvent(eventId)).body.categories[0]).to.include({ available: 1, held: 1, waiting: 0 });
  });

  describe('with the reconciler off', () => {
    let quiet: TestService;
    before(async () => (quiet = await startTestService({ RECONCILE_INTERVAL_MS: '0' }, { admin: true })));
    after(() => quiet?.stop());

    it('a hold request reclaims a past-due hold whose job was lost, serves the list first, then takes what is left', async () => {
      const { api } = quiet;
      const eventId = await api.event([{ category_id: 'ga', capacity: 3 }]);
      const lapsing = (await api.holdSeats({ event_id: eventId, qty: 3, ttl: 2 })).body;
      const shards = quiet.config.EXPIRY_QUEUES ?? 1;
      const queue = new Queue(expiryQueueNames(shards)[shardOfHold(lapsing.hold_id, shards)]!, { connection: redis, prefix: quiet.prefix });
      try {
        expect(await queue.remove(lapsing.hold_id), 'the hold had a job to lose').to.equal(1);
      } finally {
        await queue.close();
      }
      const waiting = (await api.join(eventId, { qty: 2 })).body;
      expect(waiting.status).to.equal('waiting');
      await untilPast(lapsing.expires_at, 20);
      // the seats are back (the hold is past due): the entry first, then this hold
      const hold = await api.holdSeats({ event_id: eventId, qty: 1 });
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      const entry = (await api.getEntry(waiting.entry_id)).body;
      expect(entry.status).to.equal('offered');
      const log = await api.readLog(eventId);
      expect(log.map((e) => [e.type, e.hold_id])).to.deep.equal([
        ['hold.created', lapsing.hold_id],
        ['hold.expired', lapsing.hold_id],
        ['hold.created', entry.hold_id],
        ['hold.created', hold.body.hold_id],
      ]);
      expect((await api.getHold(lapsing.hold_id)).body.status).to.equal('expired');
      await api.entryWithOffer(waiting.entry_id, waiting.entry_token);
      await assertInvariants(api, eventId, { complete: true });
    });
  });
});
