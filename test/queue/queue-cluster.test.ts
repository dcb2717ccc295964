import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { parseChildId } from '../../src/domain/ids.js';
import type { TicketView } from '../../src/domain/admission-model.js';
import { waitUntilReady } from '../../src/redis/client.js';
import { KeySpace } from '../../src/redis/keys.js';
import { slotOfTag } from '../../src/redis/key-slot.js';
import { eventually } from '../helpers/eventually.js';
import { inPool } from '../helpers/pool.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';
import { expectOnSchedule, idealFromOpening, redisNowMs, worstExcess } from './queue-helpers.js';

// Three service instances on a 3-master Redis Cluster share queues: tickets join through
// all three before the opening, and every instance, read at any time, tells the same
// admission order and times, which keep to the rate. Nothing ticks: the schedule is computed
// by the scripts from Redis's clock.

describe('admission queue: three instances on a Redis Cluster', function () {
  this.timeout(180_000);
  let cluster: RedisCluster;
  let instances: TestService[] = [];
  let client: Cluster;
  let keys: KeySpace;

  before(async () => {
    cluster = await startRedisCluster();
    const prefix = randomPrefix();
    keys = new KeySpace(prefix);
    for (let i = 0; i < 3; i++) {
      instances.push(
        await startTestService({
          REDIS_CLUSTER_NODES: cluster.nodes,
          KEY_PREFIX: prefix,
          RECONCILE_INTERVAL_MS: '0',
          EXPIRY_WORKER: 'off',
        }),
      );
    }
    const [host, port] = cluster.nodes.split(',')[0]!.split(':');
    client = new Cluster([{ host: host!, port: Number(port) }]);
    await waitUntilReady(client, 15_000);
  });

  after(async () => {
    client?.disconnect();
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
    await cluster?.stop();
  });

  const queueOf = (i: number) => instances[i % 3]!.service.admissionQueue;

  async function masterOf(eventId: string): Promise<number> {
    const slot = slotOfTag(eventId);
    const ranges = await client.cluster('SLOTS');
    return ranges.find(([start, end]) => slot >= start && slot <= end)![2]![1];
  }

  async function newEvent(eventId: string = randomUUID()): Promise<string> {
    await client.hset(keys.eventKeys(eventId).event, 'name', 'Hot show', 'total', 100, 'available', 100, 'held', 0, 'booked', 0);
    return eventId;
  }

  it('events on several masters; every instance gives every ticket the same admission, in queue order, at the rate', async () => {
    const apm = 6_000; // 100/s, B = 100
    const count = 400;
    // one event on each master
    const byMaster = new Map<number, string>();
    while (byMaster.size < 3) {
      const eventId = randomUUID();
      const master = await masterOf(eventId);
      if (!byMaster.has(master)) byMaster.set(master, eventId);
    }
    const events = await Promise.all([...byMaster.values()].map((eventId) => newEvent(eventId)));
    const opensAtMs = (await redisNowMs(client)) + 4_000;
    for (const [i, eventId] of events.entries()) {
      await queueOf(i).putQueue(eventId, { opensAt: new Date(opensAtMs), admitPerMinute: apm, admissionTtlS: 900 });
    }
    // joins spread over the three instances, all before the opening
    const tickets = await Promise.all(
      events.map((eventId) =>
        inPool(Array.from({ length: count }), 24, async (_, i) => (await queueOf(i).joinQueue(eventId)).ticket),
      ),
    );
    expect(await redisNowMs(client), 'joins took too long for this test').to.be.below(opensAtMs);
    for (const eventTickets of tickets) for (const ticket of eventTickets) expect(ticket.position).to.equal(null);

    // while admissions run, instances in turn answer; the answers only ever move forward
    const seen: number[] = [];
    await eventually(
      async () => {
        const view = await queueOf(seen.length).getQueue(events[0]!);
        if (seen.length > 0) expect(view.admitted).to.be.at.least(seen[seen.length - 1]!);
        seen.push(view.admitted);
        return view.admitted === count;
      },
      { timeoutMs: 30_000, intervalMs: 150 },
    );
    for (const eventId of events) {
      await eventually(async () => (await queueOf(1).getQueue(eventId)).admitted === count, { timeoutMs: 30_000, intervalMs: 200 });
    }

    for (const [e, eventId] of events.entries()) {
      const ids = tickets[e]!.map((ticket) => ticket.ticketId);
      const byInstance: TicketView[][] = [];
      for (let i = 0; i < 3; i++) byInstance.push(await inPool(ids, 24, (id) => queueOf(i).getTicket(id)));
      expect(byInstance[1]).to.deep.equal(byInstance[0]);
      expect(byInstance[2]).to.deep.equal(byInstance[0]);
      const views = byInstance[0]!;
      for (const view of views) expect(view.status).to.equal('admitted');
      // in queue order: admitted_at never decreases along the places
      const order = keys.queueKeys(eventId).order;
      const ranks = await Promise.all(ids.map((id) => client.zrank(order, parseChildId(id)!.localId)));
      const byRank = views.map((view, i) => ({ rank: Number(ranks[i]), at: view.admittedAt!.getTime() })).sort((a, b) => a.rank - b.rank);
      for (let i = 1; i < byRank.length; i++) expect(byRank[i]!.at).to.be.at.least(byRank[i - 1]!.at);
      const times = byRank.map((entry) => entry.at);
      expect(worstExcess(times, apm)).to.be.at.most(0);
      expectOnSchedule(times, idealFromOpening(opensAtMs, apm, count));
    }
  });

  it('after the opening, tickets joining through any instance are placed in arrival order', async () => {
    const eventId = await newEvent();
    await queueOf(0).putQueue(eventId, { opensAt: new Date(Date.now() - 1_000), admitPerMinute: 1, admissionTtlS: 900 });
    const joined: TicketView[] = [];
    for (let i = 0; i < 12; i++) joined.push((await queueOf(i).joinQueue(eventId)).ticket);
    // the first went in at once (burst 1); the rest wait in the order they came
    expect(joined.map((ticket) => ticket.position)).to.deep.equal([1, ...Array.from({ length: 11 }, (_, i) => i + 1)]);
    for (let i = 0; i < 3; i++) {
      const views = await Promise.all(joined.map((ticket) => queueOf(i).getTicket(ticket.ticketId)));
      expect(views[0]!.status).to.equal('admitted');
      expect(views.slice(1).map((view) => view.position)).to.deep.equal(Array.from({ length: 11 }, (_, k) => k + 1));
    }
  });
});
