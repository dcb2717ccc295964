import { expect } from 'chai';
import { eventually } from '../helpers/eventually.js';
import { LogCapture } from '../helpers/log-capture.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startStallProxy, type StallProxy } from '../helpers/stall-proxy.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { assertDeliveredInOrder, WebhookApi } from '../helpers/webhooks.js';

// Redis stalls under the instance that delivers: a delivery script (staging a batch, taking
// the lease, acknowledging) runs in Redis but its reply comes too late, so the instance does
// not know it ran. Nothing may be lost or reordered for it: the state in Redis decides, the
// job is tried again, and a batch may be sent again only as itself (same id and body). The
// deliverer sits behind a proxy that holds back Redis's replies (test/helpers/stall-proxy.ts);
// writes go through a second instance that sends no webhooks (WEBHOOK_WORKER=off).

const ADMIN_TOKEN = 'webhook-stall-admin';
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const STALL_MS = 1_500;

describe('webhook deliveries while Redis stalls under the deliverer', function () {
  this.timeout(120_000);
  let proxy: StallProxy;
  let deliverer: TestService;
  let writer: TestService;
  let receiver: WebhookReceiver;
  const logs = new LogCapture();

  before(async () => {
    const { url } = await sharedRedis();
    proxy = await startStallProxy(url);
    writer = await startTestService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_WORKER: 'off', REDIS_URL: url });
    deliverer = await startTestService(
      { ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', REDIS_URL: proxy.url, KEY_PREFIX: writer.prefix, LOG_LEVEL: 'warn' },
      { logDestination: logs },
    );
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await deliverer.stop();
    await writer.stop();
    await proxy.close();
    await receiver.close();
  });

  it('a hold whose reply was lost (so no instance was told of its entry) is delivered all the same: the scan finds it', async () => {
    const { url } = await sharedRedis();
    const lossyProxy = await startStallProxy(url);
    const lossy = await startTestService({ ADMIN_TOKEN, WEBHOOK_WORKER: 'off', REDIS_URL: lossyProxy.url, KEY_PREFIX: writer.prefix });
    try {
      const eventId = (await writer.api.post('/events', { name: 'Lost reply', total_seats: 10 }, admin)).body.event_id as string;
      const hooks = new WebhookApi(writer.api, ADMIN_TOKEN);
      const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
      const fired = lossyProxy.stallOn('hold', STALL_MS);
      const lost = await lossy.api.hold(eventId, 2);
      await fired;
      expect(lost.status, 'the hold answered 503: its outcome unknown to the client').to.equal(503);
      await lossyProxy.drained();
      const log = await hooks.log(eventId);
      expect(log.map((entry) => entry.type), 'yet it was made').to.deep.equal(['hold.created']);
      await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 1, { timeoutMs: 10_000 });
      assertDeliveredInOrder(receiver, webhookId, eventId, log);
    } finally {
      await lossy.stop();
      await lossyProxy.close();
    }
  });

  for (const script of ['webhookStage', 'webhookClaim', 'webhookAck']) {
    it(`a stall that swallows ${script}'s reply loses nothing, reorders nothing, repeats only as a retry`, async () => {
      const eventId = (await writer.api.post('/events', { name: 'Stalled', total_seats: 100 }, admin)).body.event_id as string;
      const hooks = new WebhookApi(writer.api, ADMIN_TOKEN);
      const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
      const holds = async (count: number) => {
        for (let i = 0; i < count; i++) expect((await writer.api.hold(eventId, 1)).status).to.equal(201);
      };
      await holds(3);
      await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 3, { timeoutMs: 15_000 });
      const failedRuns = () => logs.entries().filter((entry) => entry.msg === 'webhook delivery run failed; it runs again from the state in Redis' && entry.eventId === eventId);
      expect(failedRuns()).to.have.length(0);

      const fired = proxy.stallOn(script, STALL_MS);
      await holds(4);
      await fired;
      await proxy.drained();
      await holds(3);
      await eventually(async () => new Set(receiver.acknowledgedEntries(webhookId, eventId).map((entry) => entry.id)).size === 10, {
        timeoutMs: 30_000,
      });
      assertDeliveredInOrder(receiver, webhookId, eventId, await hooks.log(eventId));
      expect(failedRuns().length, 'the stall made a run fail').to.be.at.least(1);
      expect(receiver.maxConcurrent(webhookId, eventId)).to.equal(1);
    });
  }
});
