import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import type { Api, ApiResponse } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { assertStored } from '../helpers/invariants-stored.js';
import { httpOperator, type Operator } from '../helpers/operator.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../helpers/service.js';

// Waiting lists of categories that share a quota: room that comes back is served, in the
// same request, to the first entries of every category sharing it in the order they
// joined; an entry that does not fit blocks those behind it in its own category only; and,
// driven at random over overlapping quotas, several lists and every way room comes and goes,
// nobody waits while room sits free for them: after every step, for every category on sale
// whose list has a first entry, that entry wants more than the category's purchasable.

interface Entry {
  entryId: string;
  token: string;
  category: string;
  qty: number;
}

/** A small deterministic generator, so a failure can be re-run as it was. */
function random(seed: number) {
  let state = seed >>> 0;
  return (below: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
}

function suite(backend: 'single' | 'cluster') {
  describe(`waiting lists across shared quotas (${backend === 'cluster' ? 'three instances on a 3-master Redis Cluster' : 'one Redis'})`, function () {
    this.timeout(120_000);
    let cluster: RedisCluster | undefined;
    let apps: TestService[] = [];
    let redis: Redis | Cluster;
    const prefix = randomPrefix();
    const api = (i = 0): Api => apps[i % apps.length]!.api;
    const op = (i = 0): Operator => httpOperator(api(i));

    before(async function () {
      this.timeout(90_000);
      const env: Record<string, string> = { KEY_PREFIX: prefix, ADMIN_TOKEN: TEST_ADMIN_TOKEN, MAX_QTY_PER_HOLD: '10' };
      if (backend === 'cluster') {
        cluster = await startRedisCluster({ masters: 3 });
        env.REDIS_CLUSTER_NODES = cluster.nodes;
        redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
      } else {
        env.REDIS_URL = (await sharedRedis()).url;
        redis = new Redis(env.REDIS_URL);
      }
      apps = await Promise.all((backend === 'cluster' ? [0, 1, 2] : [0]).map(() => startTestService(env)));
    });
    after(async () => {
      redis?.disconnect();
      await Promise.all(apps.map((app) => app.stop()));
      await cluster?.stop();
    });

    async function createEvent(body: Record<string, unknown>): Promise<string> {
      const created = await op().createEvent(body);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      return created.body.event_id;
    }
    async function hold(eventId: string, category: string, qty: number) {
      const response = await api().holdSeats({ event_id: eventId, category_id: category, qty, ttl: 600 });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return response.body;
    }
    async function join(eventId: string, category: string, qty: number, status = 'waiting'): Promise<Entry> {
      const response = await api().join(eventId, { category_id: category, qty, ttl: 600 });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      expect(response.body.status, JSON.stringify(response.body)).to.equal(status);
      return { entryId: response.body.entry_id, token: response.body.entry_token, category, qty };
    }
    const statusOf = async (entry: Entry) => (await api().getEntry(entry.entryId)).body.status as string;

    it('room coming back to a shared quota goes to the first entries of its categories in join order, in the releasing request', async () => {
      const eventId = await createEvent({
        categories: [
          { category_id: 'early', capacity: 10 },
          { category_id: 'regular', capacity: 10 },
        ],
        quotas: [{ quota_id: 'hall', capacity: 10, categories: ['early', 'regular'] }],
      });
      const big = await hold(eventId, 'early', 6);
      await hold(eventId, 'regular', 4);
      // the hall is full: both categories have seats, no room
      const e1 = await join(eventId, 'regular', 2);
      const e2 = await join(eventId, 'early', 3);
      const e3 = await join(eventId, 'regular', 1);
      const e4 = await join(eventId, 'early', 1);
      const e5 = await join(eventId, 'regular', 1);

      const released = await api().release(big.hold_id, big.payment_token);
      expect(released.status).to.equal(200);
      // 6 places back: e1 (2), e2 (3), e3 (1), in the order they joined across the two lists; e4 and e5 wait
      expect(await Promise.all([e1, e2, e3, e4, e5].map(statusOf))).to.deep.equal(['offered', 'offered', 'offered', 'waiting', 'waiting']);
      const log = await api().readLog(eventId);
      const release = log.findIndex((e) => e.type === 'hold.released');
      const offers = log.slice(release + 1).filter((e) => e.type === 'hold.created');
      expect(offers.map((e) => e.entry_id), 'offered in join order, right after the release').to.deep.equal([e1.entryId, e2.entryId, e3.entryId]);
      expect(log.slice(release + 1).map((e) => e.type), 'nothing between the release and its offers').to.deep.equal(['hold.created', 'hold.created', 'hold.created']);
      const event = (await api().getEvent(eventId)).body;
      expect(event.quotas[0]).to.include({ used: 10, available: 0 });
      await assertInvariants(api(), eventId, { complete: false, redis, prefix });
    });

    it('an entry that does not fit blocks those behind it in its own category only', async () => {
      const eventId = await createEvent({
        categories: [
          { category_id: 'a', capacity: 10 },
          { category_id: 'b', capacity: 10 },
        ],
        quotas: [{ quota_id: 'hall', capacity: 10, categories: ['a', 'b'] }],
      });
      await hold(eventId, 'a', 5);
      const b3 = await hold(eventId, 'b', 3);
      await hold(eventId, 'b', 2);
      const x1 = await join(eventId, 'a', 4);
      const x2 = await join(eventId, 'b', 1);
      const x3 = await join(eventId, 'a', 1);
      const x4 = await join(eventId, 'b', 2);

      expect((await api().release(b3.hold_id, b3.payment_token)).status).to.equal(200);
      // 3 places back: x1 (a, 4) does not fit and holds x3 back in a; b serves x2 then x4
      expect(await Promise.all([x1, x2, x3, x4].map(statusOf))).to.deep.equal(['waiting', 'offered', 'waiting', 'offered']);
      const event = (await api().getEvent(eventId)).body;
      const a = event.categories.find((c: any) => c.category_id === 'a');
      expect({ waiting: a.waiting, purchasable: a.purchasable }, 'a: its first entry wants 4, no room').to.deep.equal({ waiting: 2, purchasable: 0 });
      // more room in the quota: a's first entry (4) fits now, and the one behind it: both served, in order
      const raised = await op().putQuota(eventId, 'hall', { capacity: 15, categories: ['a', 'b'] });
      expect(raised.status, JSON.stringify(raised.body)).to.equal(200);
      expect(await Promise.all([x1, x3].map(statusOf)), 'the raise served a, in order').to.deep.equal(['offered', 'offered']);
      await assertInvariants(api(), eventId, { redis, prefix });
    });

    it('driven at random over overlapping quotas and several lists, nobody waits while room sits free for them', async () => {
      const quotas = [
        { quota_id: 'hall', capacity: 14, categories: ['a', 'b'] },
        { quota_id: 'upper', capacity: 12, categories: ['b', 'c', 's'] },
      ];
      const eventId = await createEvent({
        categories: [
          { category_id: 'a', capacity: 10 },
          { category_id: 'b', capacity: 8 },
          { category_id: 'c', capacity: 8 },
          { category_id: 's', rows: [{ row: 'R', seats: 6 }, { row: 'S', seats: 6 }] },
        ],
        quotas,
      });
      const next = random(backend === 'cluster' ? 97 : 89);
      const cats = ['a', 'b', 'c', 's'];
      const entries: Entry[] = [];
      const holds: { hold_id: string; payment_token: string }[] = [];
      const blocks: string[] = [];
      const steps: string[] = [];
      let offers = 0;
      const quotaCaps = { hall: 14, upper: 12 } as Record<string, number>;

      for (let step = 0; step < (backend === 'cluster' ? 120 : 200); step++) {
        const i = step;
        const roll = next(24);
        let what: string;
        let response: ApiResponse | undefined;
        if (roll < 5) {
          const category = cats[next(4)]!;
          const qty = 1 + next(4);
          what = `hold ${category} ${qty}`;
          response = await api(i).holdSeats({ event_id: eventId, category_id: category, qty, ttl: 600 });
          if (response.status === 201) holds.push(response.body);
        } else if (roll < 9 && holds.length > 0) {
          const [h] = holds.splice(next(holds.length), 1);
          what = next(3) ? 'release a hold' : 'book a hold';
          response = what === 'release a hold' ? await api(i).release(h!.hold_id, h!.payment_token) : await api(i).book(h!.hold_id, h!.payment_token);
        } else if (roll < 14) {
          const category = cats[next(4)]!;
          const qty = 1 + next(5);
          what = `join ${category} ${qty}`;
          response = await api(i).join(eventId, { category_id: category, qty, ttl: 600 });
          if (response.status === 201) entries.push({ entryId: response.body.entry_id, token: response.body.entry_token, category, qty });
        } else if (roll < 16 && entries.length > 0) {
          const entry = entries[next(entries.length)]!;
          what = `leave ${entry.category} ${entry.qty}`;
          response = await api(i).leave(entry.entryId, entry.token);
        } else if (roll < 18) {
          const q = quotas[next(2)]!;
          const capacity = 6 + next(14);
          what = `quota ${q.quota_id} ${capacity}`;
          response = await op(i).putQuota(eventId, q.quota_id, { capacity, categories: q.categories });
          if (response.status === 200) quotaCaps[q.quota_id] = capacity;
        } else if (roll < 20) {
          const category = cats[next(3)]!;
          const capacity = 2 + next(12);
          what = `capacity ${category} ${capacity}`;
          response = await op(i).patchCategory(eventId, category, { capacity });
        } else if (roll < 22) {
          if (blocks.length > 0 && next(2)) {
            what = 'release a block';
            response = await op(i).releaseBlock(blocks.splice(next(blocks.length), 1)[0]!, {});
          } else {
            const category = cats[next(4)]!;
            what = `block ${category}`;
            response = await op(i).block(eventId, { items: [{ category_id: category, qty: 1 + next(3) }] });
            if (response.status === 201) blocks.push(response.body.block_id);
          }
        } else {
          const paused = next(3) === 0;
          const category = cats[next(4)]!;
          what = `${category} ${paused ? 'paused' : 'open'}`;
          response = await op(i).patchCategory(eventId, category, { sales: paused ? 'paused' : 'open' });
        }
        if (!response) continue;
        steps.push(`${what}: ${response.status}`);
        expect(response.status, `${what}: ${JSON.stringify(response.body)}`).to.be.below(500);

        // every category on sale: its first waiting entry does not fit
        const event = (await api(i + 1).getEvent(eventId)).body;
        const reads = await Promise.all(entries.map(async (e) => ({ e, read: (await api(i + 2).getEntry(e.entryId)).body })));
        offers = reads.filter(({ read }) => read.hold_id).length;
        for (const c of event.categories) {
          const waiting = reads.filter(({ e, read }) => e.category === c.category_id && read.status === 'waiting');
          expect(waiting.length, `${c.category_id}: waiting as its entries say`).to.equal(c.waiting);
          const head = waiting.find(({ read }) => read.position === 1);
          if (!head || event.sales !== 'open' || c.sales !== 'open') continue;
          expect(
            head.e.qty,
            `after ${steps.slice(-6).join('; ')}: ${c.category_id} is on sale and its first waiting entry fits (${c.purchasable} purchasable)`,
          ).to.be.greaterThan(c.purchasable);
        }
        await assertStored(redis, prefix, eventId);
      }
      console.log(`      ${steps.length} steps, ${entries.length} joins, ${offers} offered`);
      expect(offers, 'the lists were served along the way').to.be.greaterThan(3);
      await assertInvariants(api(), eventId, { redis, prefix, quotasAtCreation: quotas });
    });
  });
}

suite('single');
suite('cluster');
