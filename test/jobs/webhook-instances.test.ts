import { expect } from 'chai';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { assertDeliveredInOrder, WebhookApi, type LogEntry } from '../helpers/webhooks.js';

// Three instances on one Redis, all sending webhooks, while holds, bookings and releases
// of three events go through all of them at once. Nothing fails, so every subscribed entry
// arrives exactly once: in log order per event, one batch of an event in flight at a time,
// whichever instance wrote it or sends it.

const ADMIN_TOKEN = 'webhook-instances-admin';
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

describe('webhook deliveries from several instances at once', function () {
  this.timeout(120_000);
  let instances: TestService[];
  let receiver: WebhookReceiver;

  before(async () => {
    const first = await startTestService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    const env = { ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', KEY_PREFIX: first.prefix };
    instances = [first, await startTestService(env), await startTestService(env)];
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    for (const instance of instances) await instance.stop();
    await receiver.close();
  });

  it('every entry once, in order per event; a typed webhook gets only its types', async () => {
    const hooks = new WebhookApi(instances[0]!.api, ADMIN_TOKEN);
    const events: string[] = [];
    for (const instance of instances) events.push((await instance.api.post('/events', { name: 'Busy', total_seats: 200 }, admin)).body.event_id);
    const everything = await hooks.subscribe(receiver, { url: receiver.url });
    const bookings = await hooks.subscribe(receiver, { url: receiver.url, event_id: events[1], types: ['booking.created', 'hold.released'] });

    // each instance sells each event: hold, then book or release every other one
    await Promise.all(
      instances.flatMap((instance) =>
        events.map(async (eventId) => {
          for (let i = 0; i < 12; i++) {
            const hold = (await instance.api.hold(eventId, 1 + (i % 3))).body;
            const next = i % 2 === 0 ? instance.api.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token }) : instance.api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token });
            expect((await next).status).to.be.oneOf([200, 201]);
          }
        }),
      ),
    );
    const logs = new Map<string, LogEntry[]>();
    for (const eventId of events) logs.set(eventId, await hooks.log(eventId));
    for (const eventId of events) {
      await eventually(() => receiver.acknowledgedEntries(everything.webhookId, eventId).length === logs.get(eventId)!.length, { timeoutMs: 30_000 });
      assertDeliveredInOrder(receiver, everything.webhookId, eventId, logs.get(eventId)!);
      expect(receiver.maxConcurrent(everything.webhookId, eventId)).to.equal(1);
    }
    const typed = logs.get(events[1]!)!.filter((entry) => entry.type === 'booking.created' || entry.type === 'hold.released');
    expect(typed.length).to.equal(36);
    await eventually(() => receiver.acknowledgedEntries(bookings.webhookId, events[1]!).length === typed.length);
    assertDeliveredInOrder(receiver, bookings.webhookId, events[1]!, typed);
    const ids = receiver.deliveries.map((delivery) => delivery.id);
    expect(new Set(ids).size, 'nothing failed, so nothing was sent twice').to.equal(ids.length);
    expect(receiver.deliveries.every((delivery) => delivery.answer === 204)).to.equal(true);
  });
});
