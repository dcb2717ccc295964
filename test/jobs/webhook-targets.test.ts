import { expect } from 'chai';
import type { LookupFunction } from 'node:net';
import { isPublicAddress, refusedTarget } from '../../src/domain/webhooks/targets.js';
import { WebhookSender } from '../../src/jobs/webhook-sender.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService } from '../helpers/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { WebhookApi } from '../helpers/webhooks.js';

// Where a webhook may send, checked twice: when its URL is set (the address, or what its
// host name resolves to then) and on every connection, on the address actually connected
// to. A resolver that answers a public address when the URL is checked and a loopback one
// when the service connects (DNS rebinding) gets nowhere; neither does a webhook made while
// private targets were allowed, once they are not.

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const body = JSON.stringify({ webhook_id: 'w', event_id: 'e', entries: [{ id: '1-0', type: 'hold.created' }] });

/** A resolver that gives `address` for every name, the way dns.lookup calls back. */
const resolvingTo = (address: string): LookupFunction =>
  ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const family = address.includes(':') ? 6 : 4;
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;

describe('webhook targets: the address rule', () => {
  it('public unicast only: loopback, private, link-local, unspecified, CGNAT, reserved and IPv4-in-IPv6 forms are not', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isPublicAddress(address), address).to.equal(true);
    for (const address of [
      '127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.169.254', '0.0.0.0', '100.64.0.1',
      '192.0.2.1', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::3', '::ffff:127.0.0.1',
      '::ffff:8.8.8.8', '64:ff9b::7f00:1', '2002:7f00:1::1', 'not an address',
    ]) {
      expect(isPublicAddress(address), address).to.equal(false);
    }
  });

  it('a URL is refused when its host resolves to any non-public address; a name that does not resolve passes (the connection is checked)', async () => {
    expect(await refusedTarget('https://hooks.example/x', async () => ['93.184.216.34'])).to.equal(null);
    expect(await refusedTarget('https://hooks.example/x', async () => ['93.184.216.34', '10.0.0.7'])).to.match(/resolves to 10\.0\.0\.7/);
    expect(await refusedTarget('https://hooks.example/x', async () => ['::1'])).to.match(/resolves to ::1/);
    expect(await refusedTarget('https://hooks.example/x', () => Promise.reject(new Error('ENOTFOUND')))).to.equal(null);
    expect(await refusedTarget('https://hooks.example/x', () => new Promise(() => undefined)), 'a resolver that never answers').to.equal(null);
    expect(await refusedTarget('http://[::ffff:127.0.0.1]:8080/x')).to.match(/points at ::ffff:7f00:1/);
    expect(await refusedTarget('http://LocalHost./x')).to.match(/points at localhost/);
  });
});

describe('webhook targets: checked again on every connection', function () {
  this.timeout(60_000);
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => receiver.close());

  it('a host name that resolved to a public address, then to loopback when connecting, is refused (DNS rebinding)', async () => {
    const url = `http://hooks.example:${receiver.port}/hook`;
    expect(await refusedTarget(url, async () => ['93.184.216.34']), 'the URL check saw a public address').to.equal(null);
    const sender = new WebhookSender({ timeoutMs: 2_000, allowPrivateTargets: false, lookup: resolvingTo('127.0.0.1') });
    try {
      const result = await sender.send({ url, secret: SECRET, messageId: 'msg_1', body });
      expect(result.outcome).to.equal('blocked');
      expect(result.error).to.match(/^refused to connect: .*127\.0\.0\.1/);
      expect(receiver.deliveries).to.have.length(0);
    } finally {
      sender.close();
    }
  });

  it('literal loopback addresses, IPv4 and IPv6 (mapped too), are refused when connecting; allowed, they are reached', async () => {
    const refusing = new WebhookSender({ timeoutMs: 2_000, allowPrivateTargets: false });
    const allowing = new WebhookSender({ timeoutMs: 2_000, allowPrivateTargets: true });
    try {
      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', 'localhost']) {
        const result = await refusing.send({ url: `http://${host}:${receiver.port}/hook`, secret: SECRET, messageId: 'msg_2', body });
        expect(result.outcome, host).to.equal('blocked');
      }
      const ipv6 = await refusing.send({ url: `http://[::1]:${receiver.port}/hook`, secret: SECRET, messageId: 'msg_3', body });
      expect(ipv6.outcome, '[::1]').to.equal('blocked');
      expect(receiver.deliveries).to.have.length(0);
      receiver.trust('w', SECRET);
      const allowed = await allowing.send({ url: receiver.url, secret: SECRET, messageId: 'msg_4', body });
      expect(allowed.outcome).to.equal('delivered');
      expect(receiver.deliveries).to.have.length(1);
      expect(receiver.deliveries[0]!.verified).to.equal(true);
    } finally {
      refusing.close();
      allowing.close();
    }
  });

  it('a webhook made while private targets were allowed is refused by an instance that does not allow them', async () => {
    const ADMIN_TOKEN = 'targets-admin';
    const allowing = await startTestService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const eventId = (await allowing.api.post('/events', { name: 'Private', total_seats: 5 }, admin)).body.event_id as string;
    const hooks = new WebhookApi(allowing.api, ADMIN_TOKEN);
    const byAddress = await hooks.subscribe(receiver, { url: receiver.url, event_id: eventId });
    const byName = await hooks.subscribe(receiver, { url: `http://localhost:${receiver.port}/hook`, event_id: eventId });
    await allowing.stop();
    const refusing = await startTestService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', KEY_PREFIX: allowing.prefix });
    try {
      const refusingHooks = new WebhookApi(refusing.api, ADMIN_TOKEN);
      expect((await refusing.api.hold(eventId, 1)).status).to.equal(201);
      for (const { webhookId } of [byAddress, byName]) {
        await eventually(async () => /^refused to connect/.test((await refusingHooks.get(webhookId)).body.last_failure?.error ?? ''));
      }
      const page = (await refusing.api.get('/metrics')).body as string;
      expect(Number(/^boxoffice_webhook_deliveries_total\{outcome="blocked"\} (\d+)/m.exec(page)![1])).to.be.at.least(2);
      expect(receiver.deliveries, 'nothing reached the receiver').to.have.length(0);
    } finally {
      await refusing.stop();
    }
  });
});
