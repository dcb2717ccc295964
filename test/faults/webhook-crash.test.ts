import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { KeySpace } from '../../src/redis/keys.js';
import { eventually } from '../helpers/eventually.js';
import { killAllInstances, killInstance, startInstance, type Instance } from '../helpers/instances.js';
import { sharedRedis } from '../helpers/redis.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { randomPrefix } from '../helpers/service.js';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { assertDeliveredInOrder, WebhookApi } from '../helpers/webhooks.js';

// Three instances (real processes) deliver one webhook of every event while holds are made
// through all of them. The receiver holds one batch open; the instance sending it (named by
// the lease in Redis) is killed with SIGKILL mid-request. Another instance sends that same
// batch again (same webhook-id, same body) within 30 s and carries on: every entry of both
// events arrives, in log order per event, the only duplicate being the batch that was cut
// off, and never two batches of one event in flight at once. On one Redis, and on a
// three-master Redis Cluster.

const ADMIN_TOKEN = 'webhook-crash-admin';
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const TAKEOVER_BOUND_MS = 30_000;

describe('webhook deliveries across a kill -9 of the delivering instance', function () {
  this.timeout(240_000);
  let receiver: WebhookReceiver;
  let cluster: RedisCluster | undefined;

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await killAllInstances();
    await receiver.close();
    await cluster?.stop();
    cluster = undefined;
  });

  async function scenario(redisEnv: Record<string, string>, redis: Redis | Cluster) {
    const prefix = randomPrefix();
    const env = {
      ...redisEnv,
      KEY_PREFIX: prefix,
      ADMIN_TOKEN,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_MS: '60000',
      LOG_REQUESTS: 'false',
    };
    const instances = await Promise.all([1, 2, 3].map(() => startInstance(env)));
    let alive: Instance[] = [...instances];
    const hooks = new WebhookApi(instances[0]!.api, ADMIN_TOKEN);
    const events: string[] = [];
    for (const instance of instances.slice(0, 2)) {
      const created = await instance.api.post('/events', { name: 'Crash', total_seats: 500 }, admin);
      expect(created.status).to.equal(201);
      events.push(created.body.event_id);
    }
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url });
    let writes = 0;
    const write = async (count: number) => {
      for (let i = 0; i < count; i++, writes++) {
        const hold = await alive[writes % alive.length]!.api.hold(events[writes % 2]!, 1);
        expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      }
    };
    const acknowledged = () => events.reduce((sum, eventId) => sum + new Set(receiver.acknowledgedEntries(webhookId, eventId).map((entry) => entry.id)).size, 0);

    await write(20);
    await eventually(() => acknowledged() === 20, { timeoutMs: 20_000 });

    // The next batch is held open; whoever sends it dies mid-request.
    receiver.answerNext({ hang: true });
    await write(1);
    const cut = (await eventually(() => receiver.deliveries.find((delivery) => delivery.answer === 'hang') ?? false, { timeoutMs: 20_000 })) as Delivery;
    const owner = await redis.get(new KeySpace(prefix).webhookKeys(webhookId).lease(cut.eventId));
    expect(owner, 'the lease names the sender').to.be.a('string');
    const victim = instances.find((instance) => instance.child.pid === Number(owner!.split(':')[1]));
    expect(victim, `an instance with pid ${owner}`).to.not.equal(undefined);
    await killInstance(victim!);
    const killedAt = Date.now();
    alive = alive.filter((instance) => instance !== victim);
    await write(20);

    const resent = (await eventually(
      () => receiver.deliveries.find((delivery) => delivery.id === cut.id && delivery !== cut) ?? false,
      { timeoutMs: TAKEOVER_BOUND_MS + 10_000, intervalMs: 100 },
    )) as Delivery;
    console.log(`      the cut-off batch was sent again ${resent.receivedAt - killedAt} ms after the kill`);
    expect(resent.receivedAt - killedAt, 'picked up within 30 s').to.be.below(TAKEOVER_BOUND_MS);
    expect(resent.body, 'the same body').to.equal(cut.body);

    await write(10);
    await eventually(() => acknowledged() === writes, { timeoutMs: 30_000 });
    const survivor = new WebhookApi(alive[0]!.api, ADMIN_TOKEN);
    for (const eventId of events) {
      assertDeliveredInOrder(receiver, webhookId, eventId, await survivor.log(eventId));
      expect(receiver.maxConcurrent(webhookId, eventId), 'one batch of an event in flight at a time').to.equal(1);
    }
    const ids = receiver.deliveries.map((delivery) => delivery.id);
    const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    expect(repeated, 'the only batch sent twice is the one cut off').to.deep.equal([cut.id]);
  }

  it('on one Redis', async () => {
    const { url } = await sharedRedis();
    const redis = new Redis(url);
    try {
      await scenario({ REDIS_URL: url }, redis);
    } finally {
      redis.disconnect();
    }
  });

  it('on a three-master Redis Cluster', async () => {
    cluster = await startRedisCluster();
    const nodes = cluster.nodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) }));
    const redis = new Cluster(nodes);
    try {
      await scenario({ REDIS_CLUSTER_NODES: cluster.nodes }, redis);
    } finally {
      redis.disconnect();
    }
  });
});
