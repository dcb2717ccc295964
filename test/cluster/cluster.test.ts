import { expect } from 'chai';
import { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { parseChildId } from '../../src/domain/ids.js';
import { expiryQueueNames, shardOfHold } from '../../src/jobs/expiry-queue.js';
import { waitUntilReady } from '../../src/redis/client.js';
import { slotOfTag } from '../../src/redis/key-slot.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { Api, ApiResponse } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants, scanNode } from '../helpers/invariants.js';
import { inPool } from '../helpers/pool.js';
import { sharedRedis } from '../helpers/redis.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';

// Scaling out for real: a 3-master Redis Cluster of local redis-server processes and three
// service instances sharing one key prefix. Holds race over all three, bookings land on
// another instance than the hold and are retried on the third, expiry jobs run from
// sharded BullMQ queues, and we measure how keys and jobs spread over the masters.
//
// The reconciler is off on every instance, so what expires holds here is the BullMQ
// worker on the Cluster (and the one reconciler test calls a sweep itself).
//
// The same suite then runs on a single Redis (one expiry queue, its default), less what
// only a Cluster has: masters to spread over, or to lose.

type Backend = 'cluster' | 'single';
const HOLDS = 2_000;
const EVENTS = 4;
const SEATS_PER_EVENT = 300;
const IN_FLIGHT = 96;

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** A sample of the Prometheus text: `name{labels} value`, labels as written (or none). */
function metricValue(text: string, name: string, labels = ''): number {
  const escaped = `${name}${labels}`.replace(/[{}"=]/g, (char) => `\\${char}`);
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`metric ${name}${labels} not exported`);
  return Number(match[1]);
}

function scaleOutSuite(backend: Backend) {
  const onCluster = backend === 'cluster';
  // On a Cluster, EXPIRY_QUEUES defaults to 8; on one Redis, to 1.
  const expiryShards = onCluster ? 8 : 1;
  // What only a Cluster has (masters to spread over, or to lose) is not defined on one Redis.
  const itOnCluster = (title: string, test: Mocha.AsyncFunc) => void (onCluster && it(title, test));
  const describeOnCluster = (title: string, tests: () => void) => void (onCluster && describe(title, tests));
  const title = onCluster ? 'Redis Cluster: three instances over three masters' : 'the same suite on a single Redis: three instances';
  describe(title, function () {
    this.timeout(120_000);

    const prefix = randomPrefix();
    const keys = new KeySpace(prefix);
    let cluster: RedisCluster;
    /** the data's client: the Cluster, or the one Redis */
    let redis: Cluster | Redis;
    const clusterClient = () => redis as Cluster;
    let apps: TestService[] = [];
    /** slot ranges of each master, by port, from CLUSTER SLOTS */
    let slotRanges: Map<number, [number, number][]>;
    const api = (i: number): Api => apps[((i % apps.length) + apps.length) % apps.length]!.api;

    async function masterOfKey(key: string): Promise<number> {
      const slot = Number(await clusterClient().cluster('KEYSLOT', key));
      for (const [port, ranges] of slotRanges) if (ranges.some(([from, to]) => slot >= from && slot <= to)) return port;
      throw new Error(`no master serves slot ${slot}`);
    }
    const eventKeyOf = (eventId: string) => keys.eventKeys(eventId).event;
    const queueOf = (eventId: string) => expiryQueueNames(expiryShards)[shardOfHold(eventId, expiryShards)]!;
    const delayedKey = (queueName: string) => `${prefix}:${queueName}:delayed`;

    async function metricsSum(name: string, labels = ''): Promise<number> {
      const texts = await Promise.all(apps.map(async (app) => (await app.api.get('/metrics')).body as string));
      // A labelled series appears once it was first incremented on that instance.
      return sum(texts.map((text) => (labels && !text.includes(`${name}${labels} `) ? 0 : metricValue(text, name, labels))));
    }

    /**
     * Creates events until the first three each sit on another master — by their own keys
     * (`distinctEventMasters`) and/or by their expiry queue — so the spread we measure is
     * there by construction, not by luck; the rest are taken as they come.
     */
    async function pickEvents(
      count: number,
      seats: number,
      criteria: { distinctEventMasters: boolean; distinctQueueMasters: boolean },
    ): Promise<string[]> {
      const picked: string[] = [];
      const eventMasters = new Set<number>();
      const queueMasters = new Set<number>();
      for (let attempt = 0; picked.length < count; attempt++) {
        if (attempt >= 300) throw new Error('could not find events spread over the masters');
        const eventId = await api(attempt).createEvent(seats);
        if (onCluster && picked.length < slotRanges.size) {
          const eventMaster = await masterOfKey(eventKeyOf(eventId));
          const queueMaster = await masterOfKey(delayedKey(queueOf(eventId)));
          if (criteria.distinctEventMasters && eventMasters.has(eventMaster)) continue;
          if (criteria.distinctQueueMasters && queueMasters.has(queueMaster)) continue;
          eventMasters.add(eventMaster);
          queueMasters.add(queueMaster);
        }
        picked.push(eventId);
      }
      return picked;
    }

    before(async function () {
      this.timeout(90_000);
      const instanceEnv = { KEY_PREFIX: prefix, RECONCILE_INTERVAL_MS: '0' };
      if (!onCluster) {
        const { url } = await sharedRedis();
        apps = await Promise.all([0, 1, 2].map(() => startTestService({ ...instanceEnv, REDIS_URL: url })));
        redis = new Redis(url, { maxRetriesPerRequest: null });
        return;
      }
      cluster = await startRedisCluster({ masters: 3 });
      apps = await Promise.all([0, 1, 2].map(() => startTestService({ ...instanceEnv, REDIS_CLUSTER_NODES: cluster.nodes })));
      const client = new Cluster(
        cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { maxRetriesPerRequest: null } },
      );
      client.on('error', () => undefined);
      redis = client;
      await waitUntilReady(client, 15_000);
      slotRanges = new Map();
      for (const [from, to, master] of await client.cluster('SLOTS')) {
        const port = master![1];
        slotRanges.set(port, [...(slotRanges.get(port) ?? []), [from, to]]);
      }
      expect(slotRanges.size, 'three masters serve the slots').to.equal(3);
    });

    after(async () => {
      await Promise.all(apps.map((app) => app.stop()));
      redis?.disconnect();
      await cluster?.stop();
    });

    it('every instance is ready and serves /metrics', async () => {
      for (const app of apps) {
        if (onCluster) {
          expect(app.config.REDIS_CLUSTER_NODES, 'the helper passes the Cluster, not a single Redis').to.have.length(3);
          expect(app.config.REDIS_URL).to.equal(undefined);
        } else {
          expect(app.config.REDIS_CLUSTER_NODES).to.equal(undefined);
          expect(app.config.REDIS_URL).to.be.a('string');
        }
        const ready = await app.api.get('/readyz');
        expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
      }
      const eventId = await api(0).createEvent(7);
      for (const app of apps) {
        const response = await app.api.get('/metrics');
        expect(response.status).to.equal(200);
        expect(response.contentType).to.match(/^text\/plain/);
        const text = response.body as string;
        expect(metricValue(text, 'boxoffice_seats', '{state="available"}')).to.be.at.least(7);
        expect(metricValue(text, 'boxoffice_active_holds')).to.be.at.least(0);
        expect(text).to.match(/^boxoffice_http_request_duration_seconds_bucket\{/m);
      }
      expect((await api(1).get(`/events/${eventId}`)).body).to.include({ total: 7, available: 7 });
    });

    itOnCluster('refuses to start when any one master may evict keys', async () => {
      const master = clusterClient().nodes('master')[1]!;
      await master.config('SET', 'maxmemory-policy', 'allkeys-lru');
      try {
        const error = await startTestService({ REDIS_CLUSTER_NODES: cluster.nodes, KEY_PREFIX: prefix }).then(
          async (app) => {
            await app.stop();
            return null;
          },
          (caught: unknown) => caught,
        );
        expect(error, 'startService refused').to.be.instanceOf(Error);
        expect((error as Error).name).to.equal('UnsafeRedisError');
        expect((error as Error).message).to.match(/allkeys-lru/);
      } finally {
        await master.config('SET', 'maxmemory-policy', 'noeviction');
      }
    });

    it('an Idempotency-Key sent to all three instances takes seats once', async () => {
      const eventId = await api(0).createEvent(10);
      const headers = { 'idempotency-key': `cluster-${eventId}` };
      const sent = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) => api(i).post('/holds', { event_id: eventId, qty: 3, ttl: 60 }, { headers })),
      );
      const created = sent.filter((response) => response.status === 201);
      // the first answer is replayed; a retry that arrives while the first is in flight gets 409
      expect(sent.every((response) => response.status === 201 || response.status === 409)).to.equal(true);
      expect(new Set(created.map((response) => response.body.hold_id)).size).to.equal(1);
      const again = await api(2).post('/holds', { event_id: eventId, qty: 3, ttl: 60 }, { headers });
      expect(again.status).to.equal(201);
      expect(again.body.hold_id).to.equal(created[0]?.body.hold_id ?? again.body.hold_id);
      expect((await api(1).get(`/events/${eventId}`)).body).to.include({ held: 3, available: 7 });
    });

    describe(`${HOLDS} holds over ${EVENTS} events, round-robin over three instances`, () => {
      let events: string[] = [];
      const granted: { holdId: string; token: string; qty: number; instance: number; eventId: string }[] = [];
      const booked = new Map<string, { bookingId: string; qty: number }>();

      before(async () => {
        events = await pickEvents(EVENTS, SEATS_PER_EVENT, { distinctEventMasters: true, distinctQueueMasters: true });
      });

      it('holds race: every answer is 201 or 409, seats granted never exceed the event', async () => {
        const [createdBefore, rejectedBefore] = await Promise.all([
          metricsSum('boxoffice_holds_created_total'),
          metricsSum('boxoffice_holds_rejected_total', '{reason="not_enough_seats"}'),
        ]);
        const requests = Array.from({ length: HOLDS }, (_, i) => ({
          instance: i % 3,
          eventId: events[i % EVENTS]!,
          qty: (i % 3) + 1 + (Math.floor(i / 12) % 2), // 1..4, every instance × event × qty mix
        }));
        const started = Date.now();
        const responses = await inPool(requests, IN_FLIGHT, (request) => api(request.instance).hold(request.eventId, request.qty));
        const elapsed = Date.now() - started;

        let refused = 0;
        const smallestRefused = new Map<string, number>();
        responses.forEach((response: ApiResponse, i) => {
          const request = requests[i]!;
          expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
          if (response.status === 409) {
            refused++;
            smallestRefused.set(request.eventId, Math.min(request.qty, smallestRefused.get(request.eventId) ?? Infinity));
            return;
          }
          expect(response.body.qty, 'all or nothing').to.equal(request.qty);
          expect(parseChildId(response.body.hold_id)?.eventId).to.equal(request.eventId);
          granted.push({ ...request, holdId: response.body.hold_id, token: response.body.payment_token });
        });
        console.log(
          `      ${HOLDS} holds in ${elapsed} ms (${Math.round((HOLDS * 1000) / elapsed)}/s): ` +
            `${granted.length} granted, ${refused} refused`,
        );
        expect(new Set(granted.map((hold) => hold.holdId)).size).to.equal(granted.length);
        expect(refused, 'more seats asked for than exist: some refused').to.be.greaterThan(0);

        for (const eventId of events) {
          const seats = sum(granted.filter((hold) => hold.eventId === eventId).map((hold) => hold.qty));
          expect(seats).to.be.at.most(SEATS_PER_EVENT);
          const event = (await api(0).get(`/events/${eventId}`)).body;
          expect(event, 'held == seats granted').to.include({ held: seats, booked: 0, available: SEATS_PER_EVENT - seats });
          // seats only went down, so no refused request asked for seats that are left now
          expect(event.available, 'no refusal while enough seats were there').to.be.below(smallestRefused.get(eventId)!);
          await assertInvariants(api(1), eventId, { redis, prefix });
        }
        for (let instance = 0; instance < 3; instance++) {
          expect(granted.filter((hold) => hold.instance === instance).length, `instance ${instance} granted holds`).to.be.greaterThan(0);
        }
        expect(await metricsSum('boxoffice_holds_created_total')).to.equal(createdBefore + granted.length);
        expect(await metricsSum('boxoffice_holds_rejected_total', '{reason="not_enough_seats"}')).to.equal(
          rejectedBefore + refused,
        );
      });

      it('book on another instance, retry on the third: 201 then 200 with the same booking', async () => {
        // Every other granted hold of each event (every other of all of them would miss events
        // 1 and 3 whenever the holds were granted in request order, which alternates events).
        const toBook = events.flatMap((eventId) => granted.filter((hold) => hold.eventId === eventId).filter((_, i) => i % 2 === 0));
        const [bookingsBefore, replaysBefore] = await Promise.all([
          metricsSum('boxoffice_bookings_total'),
          metricsSum('boxoffice_booking_replays_total'),
        ]);
        await inPool(toBook, IN_FLIGHT, async (hold) => {
          const body = { hold_id: hold.holdId, payment_token: hold.token };
          const first = await api(hold.instance + 1).post('/book', body);
          expect(first.status, JSON.stringify(first.body)).to.equal(201);
          const retry = await api(hold.instance + 2).post('/book', body);
          expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
          expect(retry.body).to.deep.equal(first.body);
          expect(first.body).to.include({ hold_id: hold.holdId, event_id: hold.eventId, qty: hold.qty });
          booked.set(hold.holdId, { bookingId: first.body.booking_id, qty: hold.qty });
        });
        expect(new Set([...booked.values()].map((booking) => booking.bookingId)).size).to.equal(toBook.length);

        for (const eventId of events) {
          const ofEvent = granted.filter((hold) => hold.eventId === eventId);
          const bookedQty = sum(ofEvent.filter((hold) => booked.has(hold.holdId)).map((hold) => hold.qty));
          const heldQty = sum(ofEvent.filter((hold) => !booked.has(hold.holdId)).map((hold) => hold.qty));
          const report = await assertInvariants(api(2), eventId, { redis, prefix });
          expect(report, 'counts after booking').to.include({ booked: bookedQty, held: heldQty });
          expect(new Set(report.bookedHolds)).to.deep.equal(
            new Set(ofEvent.filter((hold) => booked.has(hold.holdId)).map((hold) => hold.holdId)),
          );
          const sample = ofEvent.find((hold) => booked.has(hold.holdId))!;
          const booking = await api(0).get(`/bookings/${booked.get(sample.holdId)!.bookingId}`);
          expect(booking.status).to.equal(200);
          expect(booking.body).to.include({ hold_id: sample.holdId, qty: sample.qty });
        }
        expect(await metricsSum('boxoffice_bookings_total')).to.equal(bookingsBefore + toBook.length);
        expect(await metricsSum('boxoffice_booking_replays_total')).to.equal(replaysBefore + toBook.length);
      });

      itOnCluster('event keys and expiry jobs spread over the masters (measured)', async () => {
        const masters = clusterClient().nodes('master');
        const raceEvents = new Set(events);
        const eventIdPattern = /^[^:]+:\{([0-9a-f-]{36})\}:/;
        const queuePattern = /^[^:]+:(\{expiry-\d+-\d+\}):/;
        const rows = await Promise.all(
          masters.map(async (node) => {
            const port = Number(node.options.port);
            const found = await scanNode(node, `${prefix}:*`);
            const eventKeys = found.filter((key) => eventIdPattern.test(key));
            const queueKeys = found.filter((key) => queuePattern.test(key));
            const delayedKeys = queueKeys.filter((key) => key.endsWith(':delayed'));
            // BullMQ's delayed set holds job ids, and a job id is the hold id `<event_id>.<uuid>`.
            const delayed = (await Promise.all(delayedKeys.map((key) => node.zrange(key, 0, -1)))).flat();
            const raceJobs = delayed.filter((jobId) => raceEvents.has(jobId.split('.', 1)[0]!)).length;
            return {
              port,
              slots: slotRanges.get(port)!.map(([from, to]) => `${from}-${to}`).join(','),
              dbsize: await node.dbsize(),
              eventKeys: eventKeys.length,
              events: new Set(eventKeys.map((key) => eventIdPattern.exec(key)![1])).size,
              queueKeys: queueKeys.length,
              queues: [...new Set(queueKeys.map((key) => queuePattern.exec(key)![1]!))].sort(),
              delayedJobs: delayed.length,
              raceJobs,
              other: found.length - eventKeys.length - queueKeys.length,
            };
          }),
        );
        console.log(
          '      keys of this test per master (delayedJobs = entries of <prefix>:{expiry-N}:delayed; raceJobs = those of the race):',
        );
        console.table(rows.map((row) => ({ ...row, queues: row.queues.join(' ') })));

        // Every hold has a delayed job (ttl 120 s: none has fired), on its event's queue.
        const totalJobs = sum(rows.map((row) => row.raceJobs));
        expect(totalJobs, 'one delayed job per granted hold').to.equal(granted.length);
        const predicted = new Map<number, number>();
        for (const hold of granted) {
          const master = await masterOfKey(delayedKey(queueOf(hold.eventId)));
          predicted.set(master, (predicted.get(master) ?? 0) + 1);
        }
        for (const row of rows) {
          expect(row.raceJobs, `jobs of the race on master ${row.port}`).to.equal(predicted.get(row.port) ?? 0);
          for (const queue of row.queues) {
            expect(expiryQueueNames(expiryShards)).to.include(queue);
            expect(await masterOfKey(delayedKey(queue)), `${queue} lives where CLUSTER KEYSLOT says`).to.equal(row.port);
          }
        }
        expect(rows.filter((row) => row.raceJobs > 0).length, 'expiry jobs on more than one master').to.be.greaterThan(1);
        expect(rows.filter((row) => row.events > 0).length, 'event keys on more than one master').to.be.greaterThan(1);
        // All keys of one event share its slot: each event's keys are on exactly one master.
        for (const eventId of events) {
          const holders = await Promise.all(
            masters.map(async (node) => (await scanNode(node, `${prefix}:{${eventId}}:*`)).length > 0),
          );
          expect(holders.filter(Boolean).length, `event ${eventId} on one master`).to.equal(1);
        }

        // Where the eight expiry queues themselves sit (whether or not they hold jobs now).
        const queueMasters = await Promise.all(
          expiryQueueNames(expiryShards).map(async (queue) => `${queue}→${await masterOfKey(delayedKey(queue))}`),
        );
        console.log(`      expiry queues by master port: ${queueMasters.join(' ')}`);
        expect(new Set(queueMasters.map((entry) => entry.split('→')[1])).size, 'the 8 queues span the masters').to.equal(3);
        // Their tags are picked so their slots are evenly spaced (our CRC16 agrees with Redis's):
        // over three masters of equal slot ranges, no master gets more than its share, rounded up.
        for (const [shard, queue] of expiryQueueNames(expiryShards).entries()) {
          const slot = Number(await clusterClient().cluster('KEYSLOT', delayedKey(queue)));
          expect(slot, queue).to.equal(slotOfTag(queue.slice(1, -1)));
          expect(slot, queue).to.equal(Math.floor(((shard + 0.5) * 16_384) / expiryShards));
        }
        const perMaster = [...slotRanges.keys()].map((port) => queueMasters.filter((entry) => entry.endsWith(`→${port}`)).length);
        expect(Math.max(...perMaster), `queues per master ${perMaster.join('/')}`).to.be.at.most(Math.ceil(expiryShards / 3));
      });
    });

    it('expiry: ttl 1 s holds (on queues of every master, on a Cluster) expire by the worker and seats come back', async () => {
      const events = await pickEvents(3, 10, { distinctEventMasters: false, distinctQueueMasters: true });
      const expiredBefore = await metricsSum('boxoffice_holds_expired_total');
      const holds: { holdId: string; token: string; eventId: string }[] = [];
      await Promise.all(
        events.flatMap((eventId) =>
          Array.from({ length: 8 }, async (_, i) => {
            const response = await api(i).hold(eventId, 1, { ttl: 1 });
            expect(response.status, JSON.stringify(response.body)).to.equal(201);
            holds.push({ holdId: response.body.hold_id, token: response.body.payment_token, eventId });
          }),
        ),
      );
      const storedStatus = (holdId: string) => {
        const id = parseChildId(holdId)!;
        return redis.hget(keys.holdKey(id.eventId, id.localId), 'status');
      };
      // The worker flips every record (the reconciler is off); 1 s ttl + a generous margin.
      await eventually(
        async () => {
          const statuses = await Promise.all(holds.map((hold) => storedStatus(hold.holdId)));
          expect(statuses.filter((status) => status !== 'expired'), 'holds not yet expired').to.deep.equal([]);
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      // Their jobs are done and gone from the delayed sets.
      for (const hold of holds) {
        expect(await redis.zscore(delayedKey(queueOf(hold.eventId)), hold.holdId)).to.equal(null);
        expect(await redis.exists(`${prefix}:${queueOf(hold.eventId)}:${hold.holdId}`), 'job removed on completion').to.equal(0);
      }
      for (const [i, eventId] of events.entries()) {
        const event = (await api(i).get(`/events/${eventId}`)).body;
        expect(event, 'seats back').to.include({ total: 10, available: 10, held: 0, booked: 0 });
        await assertInvariants(api(i + 1), eventId, { redis, prefix });
      }
      const late = await api(2).post('/book', { hold_id: holds[0]!.holdId, payment_token: holds[0]!.token });
      expect(late.status).to.equal(410);
      expect((await api(0).get(`/holds/${holds[0]!.holdId}`)).body.status).to.equal('expired');
      expect(await metricsSum('boxoffice_holds_expired_total'), 'each hold counted once').to.equal(expiredBefore + holds.length);
    });

    it('a reconciler sweep expires a hold whose job was lost', async () => {
      const eventId = await api(0).createEvent(5);
      const response = await api(1).hold(eventId, 2, { ttl: 1 });
      expect(response.status).to.equal(201);
      const holdId = response.body.hold_id as string;
      const queue = new Queue(queueOf(eventId), { connection: redis, prefix });
      try {
        expect(await queue.remove(holdId), 'the job was there to lose').to.equal(1);
      } finally {
        await queue.close();
      }
      const id = parseChildId(holdId)!;
      await eventually(
        async () => {
          await apps[2]!.service.expirer.sweepAll();
          expect(await redis.hget(keys.holdKey(id.eventId, id.localId), 'status')).to.equal('expired');
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      const [available, held] = await redis.hmget(keys.eventKeys(eventId).event, 'available', 'held');
      expect([Number(available), Number(held)], 'raw counts: seats back').to.deep.equal([5, 0]);
    });

    // Last: it loses the killed master's data (the nodes keep nothing on disk).
    describeOnCluster('a master dies and comes back', () => {
      it('every instance turns unready while a master is gone, requests to its slots get 503, and all recover', async () => {
        const eventId = await api(0).createEvent(10);
        const victim = await masterOfKey(eventKeyOf(eventId));
        await cluster.killNode(victim);

        // Readiness asks every master, not one at random: unready on every call, every instance.
        await eventually(async () => {
          for (const app of apps) {
            for (let i = 0; i < 3; i++) expect((await app.api.get('/readyz')).status).to.equal(503);
          }
        });
        const refused = await api(1).hold(eventId, 1);
        expect(refused.status, JSON.stringify(refused.body)).to.equal(503);
        expect(refused.headers.get('retry-after')).to.match(/^\d+$/);

        await cluster.restartNode(victim);
        await eventually(
          async () => {
            for (const app of apps) expect((await app.api.get('/readyz')).status).to.equal(200);
          },
          { timeoutMs: 20_000, intervalMs: 200 },
        );
        // The restarted master came back empty; new events on any master work again.
        expect((await api(2).get(`/events/${eventId}`)).status).to.equal(404);
        const events = await pickEvents(3, 5, { distinctEventMasters: true, distinctQueueMasters: false });
        for (const [i, id] of events.entries()) expect((await api(i).hold(id, 2)).status).to.equal(201);
      });
    });
  });
}

scaleOutSuite('cluster');
scaleOutSuite('single');
