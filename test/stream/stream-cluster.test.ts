import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { slotOfTag } from '../../src/redis/key-slot.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse.js';
import { expectSameState, replayStreams } from '../helpers/stream-replay.js';

// Live streams on a Redis Cluster of three masters, where each event's keys are in a slot of
// their own: the snapshot's MULTI runs on the event's master, the readers of events on
// different masters poll together (each read routed to its slot's node), and writes on either
// of two instances reach every stream of their event, which replays to GET /events/{id}.

describe('live streams on a Redis Cluster', function () {
  this.timeout(120_000);
  let cluster: RedisCluster;
  let instances: TestService[];
  const streams: SseClient[] = [];

  before(async function () {
    this.timeout(90_000);
    cluster = await startRedisCluster({ masters: 3 });
    const prefix = randomPrefix();
    instances = [
      await startTestService({ KEY_PREFIX: prefix, REDIS_CLUSTER_NODES: cluster.nodes }, { admin: true }),
      await startTestService({ KEY_PREFIX: prefix, REDIS_CLUSTER_NODES: cluster.nodes }, { admin: true }),
    ];
  });
  after(async () => {
    streams.forEach((stream) => stream.close());
    await Promise.all((instances ?? []).map((instance) => instance.stop()));
    await cluster?.stop();
  });

  it('events on every master, streams on one instance, writes on both: each stream gets its event\'s entries and replays to GET /events/{id}', async () => {
    const [a, b] = instances as [TestService, TestService];
    // Six events, until they sit on all three masters.
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    const owners = new Map<number, number>();
    for (const [from, to, master] of await client.cluster('SLOTS')) {
      for (let slot = from; slot <= to; slot++) owners.set(slot, master![1]);
    }
    client.disconnect();
    const eventIds: string[] = [];
    while (eventIds.length < 6 || new Set(eventIds.map((id) => owners.get(slotOfTag(id)))).size < 3) {
      eventIds.push(await a.api.event([{ category_id: 'stalls', rows: [{ row: 'A', seats: 10 }] }, { category_id: 'standing', capacity: 20 }]));
    }
    const opened = new Map<string, SseClient[]>();
    for (const eventId of eventIds) {
      const pair = [
        await SseClient.open(`${a.service.url}/events/${eventId}/stream?seats=true`),
        await SseClient.open(`${a.service.url}/events/${eventId}/stream`),
      ];
      for (const stream of pair) expect(stream.status).to.equal(200);
      streams.push(...pair);
      opened.set(eventId, pair);
    }
    expect(await a.service.metrics.liveStreamReaders.get().then((m) => m.values[0]!.value)).to.equal(eventIds.length);

    for (let round = 0; round < 4; round++) {
      await Promise.all(
        eventIds.map(async (eventId, i) => {
          const api = (round + i) % 2 === 0 ? a.api : b.api;
          const hold = await api.holdSeats({ event_id: eventId, category_id: round % 2 === 0 ? 'stalls' : 'standing', qty: 2 });
          expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
          if (round === 1) expect((await api.book(hold.body.hold_id, hold.body.payment_token)).status).to.equal(201);
          if (round === 2) expect((await api.release(hold.body.hold_id, hold.body.payment_token)).status).to.equal(200);
        }),
      );
      await sleep(100);
    }
    for (const eventId of eventIds) {
      const log = await a.api.readLog(eventId);
      const [event, seats] = [(await a.api.getEvent(eventId)).body, (await a.api.seats(eventId)).body.rows];
      for (const stream of opened.get(eventId)!) {
        await eventually(() => stream.lastEventId === log.at(-1).id);
        expect(stream.entries.map((m) => m.id)).to.deep.equal(log.map((entry) => entry.id));
        const state = replayStreams(stream);
        expectSameState(state, event, state.rows ? seats : undefined, `event ${eventId}`);
      }
    }
  });
});
