import { expect } from 'chai';
import { createServer } from 'node:net';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { assertDeliveredInOrder, sleep, WebhookApi, type LogEntry } from '../helpers/webhooks.js';

// Deliveries to a real receiver that verifies every signature with the standardwebhooks
// package: batches of one event in log order, each entry as the log shows it; retries with
// the same id and body, waits that double up to WEBHOOK_RETRY_MAX_DELAY_S; redirects,
// timeouts, refused connections and slow or huge answers fail (or do not hold anything up);
// 410 and failing for WEBHOOK_GIVE_UP_S disable; enabling again resumes with nothing
// skipped; the types and event_id filters; the `after` backfill; deletion.

const ADMIN_TOKEN = 'webhook-delivery-admin';
const TIMEOUT_MS = 1_500;
const RETRY_MAX_S = 2;
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

/** The gaps between the attempts of one batch, in ms. */
const gaps = (attempts: Delivery[]) => attempts.slice(1).map((attempt, i) => attempt.receivedAt - attempts[i]!.receivedAt);

describe('webhook deliveries', function () {
  this.timeout(90_000);
  let app: TestService;
  let hooks: WebhookApi;
  let receiver: WebhookReceiver;

  before(async () => {
    app = await startTestService({
      ADMIN_TOKEN,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_RETRY_MAX_DELAY_S: String(RETRY_MAX_S),
    });
    hooks = new WebhookApi(app.api, ADMIN_TOKEN);
  });
  after(() => app.stop());
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => receiver.close());

  async function newEvent(seats = 50): Promise<string> {
    const created = await app.api.post('/events', { name: 'Hooked', total_seats: seats }, admin);
    expect(created.status).to.equal(201);
    return created.body.event_id;
  }

  /** `count` holds of one seat, one after the other: one hold.created entry each. */
  async function holds(eventId: string, count: number) {
    const made = [];
    for (let i = 0; i < count; i++) {
      const hold = await app.api.hold(eventId, 1);
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      made.push(hold.body as { hold_id: string; payment_token: string });
    }
    return made;
  }

  const deliveriesOf = (webhookId: string) => receiver.deliveries.filter((delivery) => delivery.webhookId === webhookId);

  async function metric(name: string, labels = ''): Promise<number> {
    const page = (await app.api.get('/metrics')).body as string;
    const line = page.split('\n').find((text) => text.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  }

  it('signs every batch (Standard Webhooks) and sends each entry as the log shows it, in order', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    const [first] = await holds(eventId, 3);
    expect((await app.api.post('/book', { hold_id: first!.hold_id, payment_token: first!.payment_token })).status).to.equal(201);
    await eventually(async () => receiver.acknowledgedEntries(webhookId, eventId).length === 4);
    const log = await hooks.log(eventId);
    assertDeliveredInOrder(receiver, webhookId, eventId, log);
    for (const delivery of deliveriesOf(webhookId)) {
      expect(delivery.id).to.match(/^msg_[0-9a-f-]{36}$/);
      expect(delivery.signature).to.match(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(delivery.timestamp).to.be.closeTo(Date.now() / 1000, 60);
      expect(delivery.headers['content-type']).to.equal('application/json');
      expect(JSON.parse(delivery.body)).to.have.keys('webhook_id', 'event_id', 'entries');
    }
    expect(new Set(deliveriesOf(webhookId).map((delivery) => delivery.id)).size, 'a new id per batch').to.equal(deliveriesOf(webhookId).length);
    expect((await hooks.get(webhookId)).body.last_success_at).to.be.a('string');
  });

  it('sends an entry within 2 s of its write, to a receiver that answers at once', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    for (let i = 0; i < 15; i++) {
      await holds(eventId, 1);
      await sleep(50);
    }
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 15);
    const received = new Map<string, number>();
    for (const delivery of receiver.acknowledged(webhookId)) {
      for (const entry of delivery.entries) if (!received.has(entry.id)) received.set(entry.id, delivery.receivedAt);
    }
    const lateness = (await hooks.log(eventId)).map((entry) => received.get(entry.id)! - Date.parse(entry.at as string));
    console.log(`      write → delivery: ${lateness.join(', ')} ms`);
    for (const ms of lateness) expect(ms).to.be.within(0, 2_000);
  });

  it('batches hold 1-100 entries of one event; a backlog goes out as full batches in log order', async () => {
    const eventId = await newEvent(300);
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    expect((await hooks.patch(webhookId, { status: 'disabled' })).status).to.equal(200);
    await holds(eventId, 230);
    expect(deliveriesOf(webhookId)).to.have.length(0);
    expect((await hooks.patch(webhookId, { status: 'enabled' })).status).to.equal(200);
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 230, { timeoutMs: 20_000 });
    expect(deliveriesOf(webhookId).map((delivery) => delivery.entries.length)).to.deep.equal([100, 100, 30]);
    assertDeliveredInOrder(receiver, webhookId, eventId, await hooks.log(eventId));
    expect(receiver.maxConcurrent(webhookId, eventId), 'one batch in flight at a time').to.equal(1);
  });

  it('a failed batch is sent again with the same webhook-id and body, each wait at most twice the one before', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    receiver.answerNext(...Array.from({ length: 5 }, () => ({ status: 500 })));
    await holds(eventId, 1);
    await eventually(() => receiver.acknowledged(webhookId).length === 1, { timeoutMs: 30_000 });
    await holds(eventId, 1);
    await eventually(() => receiver.acknowledged(webhookId).length === 2);
    const attempts = deliveriesOf(webhookId);
    expect(attempts.map((attempt) => attempt.answer)).to.deep.equal([500, 500, 500, 500, 500, 204, 204]);
    const retried = attempts.slice(0, 6);
    expect(new Set(retried.map((attempt) => attempt.id)).size, 'one id for every attempt of the batch').to.equal(1);
    expect(new Set(retried.map((attempt) => attempt.body)).size, 'one body').to.equal(1);
    expect(attempts[6]!.id).to.not.equal(attempts[0]!.id);
    const waits = gaps(retried);
    console.log(`      waits between attempts: ${waits.join(', ')} ms (cap ${RETRY_MAX_S} s)`);
    const margin = 400;
    expect(waits[0], 'the first retry within 2 s').to.be.at.most(2_000);
    for (let i = 1; i < waits.length; i++) expect(waits[i], `wait ${i + 1} at most twice wait ${i}`).to.be.at.most(2 * waits[i - 1]! + margin);
    for (const wait of waits) expect(wait).to.be.within(700, RETRY_MAX_S * 1000 + margin);
    expect(waits.at(-1), 'the waits grew to the cap').to.be.at.least(RETRY_MAX_S * 1000 - margin);
    const webhook = (await hooks.get(webhookId)).body;
    expect(webhook.last_failure).to.include({ status: 500, error: 'answered 500' });
    expect(webhook.status).to.equal('enabled');
    assertDeliveredInOrder(receiver, webhookId, eventId, await hooks.log(eventId));
  });

  it('a redirect fails the batch (it is not followed); a timeout fails it too; both are retried as they were', async () => {
    const elsewhere = await startWebhookReceiver();
    try {
      const eventId = await newEvent();
      const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
      receiver.answerNext({ status: 302, redirectTo: elsewhere.url }, { hang: true });
      await holds(eventId, 1);
      await eventually(() => receiver.acknowledged(webhookId).length === 1, { timeoutMs: 20_000 });
      const attempts = deliveriesOf(webhookId);
      expect(attempts.map((attempt) => attempt.answer)).to.deep.equal([302, 'hang', 204]);
      expect(new Set(attempts.map((attempt) => attempt.id)).size).to.equal(1);
      expect(elsewhere.deliveries, 'the redirect was not followed').to.have.length(0);
      expect(attempts[1]!.closedAfterMs, 'the hanging attempt was given up after WEBHOOK_TIMEOUT_MS').to.be.within(TIMEOUT_MS - 100, TIMEOUT_MS + 1_500);
      expect((await hooks.get(webhookId)).body.last_failure.error).to.equal(`no answer within ${TIMEOUT_MS} ms`);
      expect(await metric('boxoffice_webhook_deliveries_total', '{outcome="redirected"}')).to.be.at.least(1);
      expect(await metric('boxoffice_webhook_deliveries_total', '{outcome="timeout"}')).to.be.at.least(1);
    } finally {
      await elsewhere.close();
    }
  });

  it('a slow or huge answer holds nothing up: the status counts, the body is cut off', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    receiver.answerNext({ status: 200, trickle: true }, { status: 200, bodyBytes: 200 * 1024 * 1024 });
    await holds(eventId, 1);
    await eventually(() => deliveriesOf(webhookId).length === 1);
    await holds(eventId, 1);
    await eventually(() => deliveriesOf(webhookId).length === 2);
    await holds(eventId, 1);
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 3);
    const [trickled, huge] = deliveriesOf(webhookId);
    await eventually(() => trickled!.closedAfterMs !== undefined && huge!.closedAfterMs !== undefined);
    expect(trickled!.answerCut, 'the trickling answer was cut').to.equal(true);
    expect(trickled!.closedAfterMs).to.be.at.most(TIMEOUT_MS + 1_500);
    expect(huge!.answerCut, 'the huge answer was cut').to.equal(true);
    expect(deliveriesOf(webhookId)[1]!.receivedAt - trickled!.receivedAt, 'the next batch did not wait for the slow body').to.be.below(TIMEOUT_MS);
    assertDeliveredInOrder(receiver, webhookId, eventId, await hooks.log(eventId));
  });

  it('a refused connection fails the batch; a new url gets the same batch, nothing skipped', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: `http://127.0.0.1:${closedPort}/hook`, event_id: eventId });
    await holds(eventId, 2);
    await eventually(async () => (await hooks.get(webhookId)).body.last_failure?.error === 'could not deliver: ECONNREFUSED');
    expect(await metric('boxoffice_webhook_deliveries_total', '{outcome="unreachable"}')).to.be.at.least(1);
    expect((await hooks.patch(webhookId, { url: receiver.url })).status).to.equal(200);
    await holds(eventId, 1);
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 3, { timeoutMs: 15_000 });
    assertDeliveredInOrder(receiver, webhookId, eventId, await hooks.log(eventId));
  });

  it('410 disables at once; nothing is sent while disabled; enabling resumes with the same batch, nothing skipped', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    receiver.answerNext({ status: 410 });
    await holds(eventId, 2);
    await eventually(async () => (await hooks.get(webhookId)).body.status === 'disabled');
    const disabled = (await hooks.get(webhookId)).body;
    expect(disabled.disabled_reason).to.equal('The receiver answered 410 Gone.');
    expect(disabled.last_failure).to.include({ status: 410 });
    expect(await metric('boxoffice_webhooks_disabled')).to.be.at.least(1);
    const goneBatch = deliveriesOf(webhookId)[0]!;
    await holds(eventId, 3);
    await sleep(3_000);
    expect(deliveriesOf(webhookId), 'nothing sent while disabled').to.have.length(1);

    expect((await hooks.patch(webhookId, { status: 'enabled' })).body.status).to.equal('enabled');
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 5);
    const resumed = deliveriesOf(webhookId)[1]!;
    expect(resumed.id, 'the batch answered 410 comes first').to.equal(goneBatch.id);
    expect(resumed.body).to.equal(goneBatch.body);
    assertDeliveredInOrder(receiver, webhookId, eventId, await hooks.log(eventId));
  });

  it('types: only entries of those types are sent, the others are passed over', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId, types: ['booking.created'] });
    const made = await holds(eventId, 4);
    for (const hold of [made[1]!, made[3]!]) {
      expect((await app.api.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token })).status).to.equal(201);
    }
    await holds(eventId, 2);
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 2);
    const bookings = (await hooks.log(eventId)).filter((entry) => entry.type === 'booking.created');
    assertDeliveredInOrder(receiver, webhookId, eventId, bookings);
    // a booking after the skipped entries still comes promptly
    await app.api.post('/book', { hold_id: made[0]!.hold_id, payment_token: made[0]!.payment_token });
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventId).length === 3);
    expect(receiver.acknowledgedEntries(webhookId, eventId).every((entry) => entry.type === 'booking.created')).to.equal(true);
  });

  it('event_id: only that event; after: a backfill from a log id ("0": the whole log); default: from now on', async () => {
    const [eventA, eventB] = [await newEvent(), await newEvent()];
    await holds(eventA, 4);
    await holds(eventB, 2);
    const logA = await hooks.log(eventA);
    const whole = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventA, after: '0' });
    const fromSecond = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventA, after: logA[1]!.id });
    const fromNow = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventA });
    await holds(eventA, 1);
    await holds(eventB, 2);
    const fullA = await hooks.log(eventA);
    await eventually(() => receiver.acknowledgedEntries(whole.webhookId, eventA).length === 5);
    await eventually(() => receiver.acknowledgedEntries(fromSecond.webhookId, eventA).length === 3);
    await eventually(() => receiver.acknowledgedEntries(fromNow.webhookId, eventA).length === 1);
    assertDeliveredInOrder(receiver, whole.webhookId, eventA, fullA);
    assertDeliveredInOrder(receiver, fromSecond.webhookId, eventA, fullA.slice(2));
    assertDeliveredInOrder(receiver, fromNow.webhookId, eventA, fullA.slice(4));
    expect(receiver.deliveries.filter((delivery) => delivery.eventId === eventB), 'nothing of the other event').to.have.length(0);
  });

  it('a webhook of every event gets the entries of each event written after its creation, in order per event', async () => {
    const [eventA, eventB] = [await newEvent(), await newEvent()];
    await holds(eventA, 2);
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url });
    await Promise.all([holds(eventA, 3), holds(eventB, 3)]);
    const [logA, logB] = [(await hooks.log(eventA)).slice(2), await hooks.log(eventB)];
    await eventually(() => receiver.acknowledgedEntries(webhookId, eventA).length === 3 && receiver.acknowledgedEntries(webhookId, eventB).length === 3);
    assertDeliveredInOrder(receiver, webhookId, eventA, logA);
    assertDeliveredInOrder(receiver, webhookId, eventB, logB);
    await hooks.delete(webhookId);
  });

  it('after DELETE nothing more is sent', async () => {
    const eventId = await newEvent();
    const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    await holds(eventId, 1);
    await eventually(() => receiver.acknowledged(webhookId).length === 1);
    expect((await hooks.delete(webhookId)).status).to.equal(200);
    await holds(eventId, 2);
    await sleep(2_500);
    expect(deliveriesOf(webhookId)).to.have.length(1);
  });

  it('metrics: attempts by outcome, their durations, and the disabled webhooks', async () => {
    const page = (await app.api.get('/metrics')).body as string;
    for (const outcome of ['delivered', 'rejected', 'redirected', 'gone', 'timeout', 'unreachable', 'blocked']) {
      expect(page).to.match(new RegExp(`^boxoffice_webhook_deliveries_total\\{outcome="${outcome}"\\} \\d+`, 'm'));
    }
    const attempts = ['delivered', 'rejected', 'redirected', 'gone', 'timeout', 'unreachable', 'blocked'].map((outcome) =>
      Number(new RegExp(`^boxoffice_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(page)![1]),
    );
    const timed = [...page.matchAll(/^boxoffice_webhook_delivery_duration_seconds_count\{outcome="\w+"\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(timed, 'every attempt timed').to.equal(attempts.reduce((a, b) => a + b, 0));
    expect(attempts[0]).to.be.above(0);
    expect(page).to.match(/^boxoffice_webhooks_disabled \d+$/m);
  });
});

describe('webhook deliveries: giving up', function () {
  this.timeout(60_000);

  it('a batch failing for WEBHOOK_GIVE_UP_S disables its webhook; nothing more is sent; the gauge counts it', async () => {
    const app = await startTestService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_MAX_DELAY_S: '1', WEBHOOK_GIVE_UP_S: '3' });
    const receiver = await startWebhookReceiver();
    try {
      const hooks = new WebhookApi(app.api, ADMIN_TOKEN);
      receiver.answer({ status: 503 });
      const eventId = (await app.api.post('/events', { name: 'Failing', total_seats: 5 }, admin)).body.event_id;
      const { webhookId } = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
      await app.api.hold(eventId, 1);
      await eventually(async () => (await hooks.get(webhookId)).body.status === 'disabled', { timeoutMs: 15_000 });
      const webhook = (await hooks.get(webhookId)).body;
      expect(webhook.disabled_reason).to.match(/^Deliveries failed for \d+ s \(the last: answered 503\)\.$/);
      const attempts = receiver.deliveries.filter((delivery) => delivery.webhookId === webhookId);
      const failingFor = attempts.at(-1)!.receivedAt - attempts[0]!.receivedAt;
      expect(failingFor, 'disabled once failing for 3 s, not before').to.be.within(2_500, 6_000);
      await sleep(2_500);
      expect(receiver.deliveries.filter((delivery) => delivery.webhookId === webhookId)).to.have.length(attempts.length);
      const page = (await app.api.get('/metrics')).body as string;
      expect(page).to.match(/^boxoffice_webhooks_disabled 1$/m);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});
