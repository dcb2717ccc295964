import { expect } from 'chai';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseChildId } from '../../src/domain/ids.js';
import { EXPIRY_QUEUE_NAME } from '../../src/jobs/expiry-queue.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { Api } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { killAllInstances, startInstance } from '../helpers/instances.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix } from '../helpers/service.js';

// An instance dies (kill -9) with holds it made still active. The holds are not its own:
// they live in Redis, and their expiry jobs are in a queue every instance works. So the
// surviving instance expires them on time: through its BullMQ worker when the jobs are
// there, through its reconciler when the jobs were lost too. Real processes (`npm start`'s
// entry point), so nothing is shared in memory.

/** The contract allows 1 s after expires_at; a busy two-core machine gets more. */
const EXPIRY_MARGIN_MS = 3_000;
const RECONCILE_INTERVAL_MS = 500;

describe('an instance crashes with active holds (two processes, one Redis)', function () {
  this.timeout(60_000);

  let redisUrl: string;
  let redis: Redis;
  let queue: Queue | undefined;

  before(async () => {
    redisUrl = (await sharedRedis()).url;
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    await queue?.close();
    queue = undefined;
    await killAllInstances();
  });
  after(() => redis.disconnect());

  const holdKey = (prefix: string, holdId: string) => {
    const id = parseChildId(holdId)!;
    return new KeySpace(prefix).holdKey(id.eventId, id.localId);
  };

  async function rawCounts(prefix: string, eventId: string) {
    const counts = await redis.hmget(new KeySpace(prefix).eventKeys(eventId).event, 'available', 'held', 'booked');
    const [available, held, booked] = counts.map(Number);
    return { available, held, booked };
  }

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async function expiredCounter(api: Api): Promise<number> {
    const match = /^boxoffice_holds_expired_total (\S+)$/m.exec((await api.get('/metrics')).body as string);
    return Number(match?.[1]);
  }

  /** Polls the stored status with Redis's clock; returns ms after expires_at it read "expired". */
  async function lateness(prefix: string, holdId: string, expiresAtMs: number, boundMs: number): Promise<number> {
    const key = holdKey(prefix, holdId);
    const seenAt = await eventually(
      async () => {
        const replies = (await redis.multi().hget(key, 'status').time().exec()) ?? [];
        const status = replies[0]?.[1] as string | null;
        const [seconds, micros] = replies[1]?.[1] as [string, string];
        const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        if (status === 'expired') return now;
        expect(status, 'stored status while waiting').to.equal('active');
        throw new Error(`hold ${holdId} still ${status} ${now - expiresAtMs} ms after expires_at`);
      },
      { timeoutMs: expiresAtMs - Date.now() + boundMs + 5_000, intervalMs: 25 },
    );
    return seenAt - expiresAtMs;
  }

  /** Two instances on one prefix; holds made through A, then A is killed before they are due. */
  async function holdsThenKill(env: Record<string, string>, onHolds?: (prefix: string, holdIds: string[]) => Promise<void>) {
    const prefix = randomPrefix();
    const shared = { REDIS_URL: redisUrl, KEY_PREFIX: prefix, ...env };
    const [a, b] = await Promise.all([startInstance(shared), startInstance(shared)]);
    const eventId = await a.api.createEvent(20);
    const responses = await Promise.all([1, 2, 3, 4].map((qty) => a.api.hold(eventId, qty, { ttl: 2 })));
    for (const response of responses) expect(response.status, JSON.stringify(response.body)).to.equal(201);
    const holds = responses.map((response) => ({
      holdId: response.body.hold_id as string,
      expiresAtMs: Date.parse(response.body.expires_at),
    }));
    // A adds the jobs without its answers waiting for them: the scenario starts once it has.
    const jobs = new Queue(EXPIRY_QUEUE_NAME, { connection: redis, prefix });
    try {
      await eventually(async () => {
        for (const hold of holds) expect(await jobs.getJob(hold.holdId), `job of ${hold.holdId}`).to.not.equal(undefined);
      });
    } finally {
      await jobs.close();
    }
    await onHolds?.(prefix, holds.map((hold) => hold.holdId));

    a.child.kill('SIGKILL');
    await a.exited;
    const firstDue = Math.min(...holds.map((hold) => hold.expiresAtMs));
    expect(await redisNowMs(), 'A died before any hold was due').to.be.below(firstDue);
    expect(await rawCounts(prefix, eventId)).to.deep.equal({ available: 10, held: 10, booked: 0 });
    expect((await b.api.get('/readyz')).status, 'B serves on').to.equal(200);
    return { prefix, eventId, holds, b };
  }

  it("kill -9 A: B's expiry worker flips A's holds to expired on time and gives their seats back", async () => {
    // No reconciler anywhere: only a worker can do it, and A's is dead.
    const { prefix, eventId, holds, b } = await holdsThenKill({ RECONCILE_INTERVAL_MS: '0' });

    const late = await Promise.all(holds.map((hold) => lateness(prefix, hold.holdId, hold.expiresAtMs, EXPIRY_MARGIN_MS)));
    console.log(`      expired by B's worker ${late.map((ms) => `${ms} ms`).join(', ')} after expires_at`);
    for (const ms of late) {
      expect(ms, 'never before expires_at').to.be.at.least(0);
      expect(ms, 'soon after expires_at').to.be.at.most(EXPIRY_MARGIN_MS);
    }
    // Read raw, before any snapshot could reclaim them: the worker gave the seats back.
    expect(await rawCounts(prefix, eventId)).to.deep.equal({ available: 20, held: 0, booked: 0 });
    expect(await expiredCounter(b.api), "B's boxoffice_holds_expired_total").to.equal(holds.length);
    for (const hold of holds) expect((await b.api.get(`/holds/${hold.holdId}`)).body.status).to.equal('expired');
    expect((await b.api.get(`/events/${eventId}`)).body).to.include({ total: 20, available: 20, held: 0, booked: 0 });
    await assertInvariants(b.api, eventId, { redis: redisUrl, prefix });
  });

  it("jobs lost and A killed: B's reconciler expires the holds within its interval plus margin", async () => {
    const { prefix, eventId, holds, b } = await holdsThenKill(
      { RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS) },
      async (queuePrefix, holdIds) => {
        queue = new Queue(EXPIRY_QUEUE_NAME, { connection: redis, prefix: queuePrefix });
        for (const holdId of holdIds) {
          expect(await queue.remove(holdId), `the job of ${holdId} existed and is gone`).to.equal(1);
        }
      },
    );
    expect(await queue!.getDelayedCount(), 'no expiry job left').to.equal(0);

    const bound = RECONCILE_INTERVAL_MS + EXPIRY_MARGIN_MS;
    const late = await Promise.all(holds.map((hold) => lateness(prefix, hold.holdId, hold.expiresAtMs, bound)));
    console.log(`      expired by B's reconciler ${late.map((ms) => `${ms} ms`).join(', ')} after expires_at`);
    for (const ms of late) {
      expect(ms).to.be.at.least(0);
      expect(ms, `within the interval (${RECONCILE_INTERVAL_MS} ms) plus margin`).to.be.at.most(bound);
    }
    expect(await rawCounts(prefix, eventId)).to.deep.equal({ available: 20, held: 0, booked: 0 });
    expect(await expiredCounter(b.api), "B's boxoffice_holds_expired_total").to.equal(holds.length);
    for (const hold of holds) expect((await b.api.get(`/holds/${hold.holdId}`)).body.status).to.equal('expired');
    expect((await b.api.get(`/events/${eventId}`)).body).to.include({ total: 20, available: 20, held: 0, booked: 0 });
    await assertInvariants(b.api, eventId, { redis: redisUrl, prefix });
  });
});
