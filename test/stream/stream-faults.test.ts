import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { eventually, sleep } from '../helpers/eventually.js';
import { sharedRedis, startRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse.js';
import { startStallProxy, type StallProxy } from '../helpers/stall-proxy.js';

// Redis trouble under live streams: a reader whose reads fail (Redis stalled) tries again
// from the same entry, so its streams lose nothing and stay open; a log that lost the entry a
// stream continues from (a failover to a replica that lagged) ends the stream, and the
// reconnect starts over with a snapshot; a node that lost the function library still serves
// a snapshot.

const ended = async (metric: Counter, reason: string) =>
  (await metric.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('live streams when Redis fails', function () {
  this.timeout(60_000);
  const streams: SseClient[] = [];
  const services: TestService[] = [];
  let redis: Redis;
  let proxy: StallProxy;

  before(async () => {
    const { url } = await sharedRedis();
    redis = new Redis(url);
    proxy = await startStallProxy(url);
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(services.splice(0).map((service) => service.stop()));
  });
  after(async () => {
    redis.disconnect();
    await proxy.close();
  });

  const start = async (env: Record<string, string>) => {
    const service = await startTestService(env);
    services.push(service);
    return service;
  };
  const open = async (app: TestService, eventId: string, headers: Record<string, string> = {}) => {
    const stream = await SseClient.open(`${app.service.url}/events/${eventId}/stream`, { headers });
    expect(stream.status).to.equal(200);
    streams.push(stream);
    return stream;
  };
  const logIds = async (prefix: string, eventId: string) =>
    (await redis.xrange(`${prefix}:{${eventId}}:log`, '-', '+')).map(([id]) => id);

  it('Redis stalls for 2 s while another instance writes: the stream stays open and gets every entry, in order, once', async () => {
    const prefix = randomPrefix();
    const behindProxy = await start({ KEY_PREFIX: prefix, REDIS_URL: proxy.url });
    const direct = await start({ KEY_PREFIX: prefix });
    const eventId = await direct.api.createEvent(50);
    const watching = await open(behindProxy, eventId);
    await watching.waitForMessages(1);
    expect((await direct.api.hold(eventId, 1)).status).to.equal(201);
    await watching.waitForMessages(2);

    proxy.stall(2_000);
    for (let i = 0; i < 5; i++) {
      expect((await direct.api.hold(eventId, 1)).status).to.equal(201);
      await sleep(150);
    }
    await proxy.drained();
    for (let i = 0; i < 3; i++) expect((await direct.api.hold(eventId, 1)).status).to.equal(201);
    await watching.waitForMessages(1 + 9, 10_000);
    expect(watching.ended).to.equal(false);
    expect(watching.entries.map((m) => m.id)).to.deep.equal(await logIds(prefix, eventId));
  });

  it('the entry a stream continues from is gone from the log: the stream ends; its reconnect starts over with a snapshot', async () => {
    const app = await start({});
    const eventId = await app.api.createEvent(50);
    for (let i = 0; i < 3; i++) expect((await app.api.hold(eventId, 1)).status).to.equal(201);
    const live = await open(app, eventId);
    const resumed = await open(app, eventId, { 'Last-Event-ID': '0' });
    await live.waitForMessages(1);
    await resumed.waitForMessages(3);
    const ids = await logIds(app.prefix, eventId);
    expect(live.messages[0]!.id).to.equal(ids.at(-1));

    // As after a failover to a replica that had not yet got the last entry.
    await redis.xdel(`${app.prefix}:{${eventId}}:log`, ids.at(-1)!);
    await live.whenEnded();
    await resumed.whenEnded();
    expect(await ended(app.service.metrics.liveStreamsEnded, 'log_gap')).to.equal(2);
    expect((await app.api.hold(eventId, 1)).status).to.equal(201);
    const again = await open(app, eventId, { 'Last-Event-ID': live.lastEventId! });
    const [snapshot] = await again.waitForMessages(1);
    expect(snapshot!.event).to.equal('snapshot');
    expect(snapshot!.id).to.equal((await logIds(app.prefix, eventId)).at(-1));
  });

  it('a Redis that lost the function library (FUNCTION FLUSH) still serves a snapshot: the library is loaded again', async () => {
    const own = await startRedis({ local: true });
    try {
      const app = await start({ REDIS_URL: own.url });
      const eventId = await app.api.createEvent(5);
      expect((await app.api.hold(eventId, 2)).status).to.equal(201);
      const node = new Redis(own.url);
      await node.call('FUNCTION', 'FLUSH');
      node.disconnect();
      const stream = await open(app, eventId);
      const [snapshot] = await stream.waitForMessages(1);
      expect(JSON.parse(snapshot!.data)).to.include({ held: 2, available: 3 });
      await eventually(async () => (await app.api.hold(eventId, 1)).status === 201);
      await stream.waitForMessages(2);
    } finally {
      await Promise.all(services.splice(0).map((service) => service.stop()));
      await own.stop();
    }
  });
});
