import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { expectProblem } from '../helpers/api.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { WebhookApi } from '../helpers/webhooks.js';

// The operator's side of webhooks over HTTP: create (the secret shown once), list, read,
// change, delete; validation (422 naming the field, nothing created), 404s, the admin
// token, Idempotency-Key; and the address rule: with private targets not allowed, a URL
// that is or resolves to a loopback, private, link-local or unspecified address is a 422,
// at creation and on PATCH.

const ADMIN_TOKEN = 'webhook-test-admin';
const RECEIVER = 'http://127.0.0.1:9/hook';

describe('webhooks: create, read, change, delete', () => {
  let app: TestService;
  let hooks: WebhookApi;
  let eventId: string;

  before(async () => {
    app = await startTestService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    hooks = new WebhookApi(app.api, ADMIN_TOKEN);
    const created = await app.api.post('/events', { name: 'Webhooked', total_seats: 10 }, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    eventId = created.body.event_id;
  });
  after(() => app.stop());

  const count = async () => (await hooks.list()).body.webhooks.length as number;

  it('POST /webhooks: 201 with the webhook and its secret (whsec_ + base64 of at least 24 bytes), shown only then', async () => {
    const response = await hooks.create({ url: RECEIVER, event_id: eventId, types: ['booking.created'], description: 'CRM' });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    const body = response.body;
    expect(body).to.include({ url: RECEIVER, event_id: eventId, description: 'CRM', status: 'enabled' });
    expect(body.types).to.deep.equal(['booking.created']);
    expect(body.webhook_id).to.be.a('string');
    expect(response.headers.get('location')).to.equal(`/webhooks/${body.webhook_id}`);
    expect(Date.parse(body.created_at)).to.be.closeTo(Date.now(), 60_000);
    expect(body.secret).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(body.secret.slice('whsec_'.length), 'base64').length).to.be.at.least(24);

    const read = await hooks.get(body.webhook_id);
    expect(read.status).to.equal(200);
    expect(read.body).to.not.have.property('secret');
    const { secret: _secret, ...withoutSecret } = body;
    expect(read.body).to.deep.equal(withoutSecret);
    const listed = (await hooks.list()).body.webhooks as Record<string, unknown>[];
    expect(listed.find((webhook) => webhook.webhook_id === body.webhook_id)).to.deep.equal(withoutSecret);
    expect(listed.every((webhook) => !('secret' in webhook))).to.equal(true);
    expect(JSON.stringify(listed)).to.not.include(body.secret);
  });

  it('defaults: every event (event_id null), every type (types null), no description; a wrapped body works', async () => {
    const response = await hooks.create({ webhook: { url: 'https://crm.example/hooks' } });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    expect(response.body).to.include({ event_id: null, types: null, description: null, status: 'enabled' });
    const explicitNull = await hooks.create({ url: 'https://crm.example/other', event_id: null });
    expect(explicitNull.status).to.equal(201);
    expect(explicitNull.body.event_id).to.equal(null);
  });

  it('GET /webhooks lists every webhook, oldest first, never a secret', async () => {
    const first = await hooks.create({ url: 'https://a.example/1' });
    const second = await hooks.create({ url: 'https://a.example/2' });
    const ids = ((await hooks.list()).body.webhooks as { webhook_id: string }[]).map((webhook) => webhook.webhook_id);
    expect(ids.indexOf(first.body.webhook_id)).to.be.below(ids.indexOf(second.body.webhook_id));
  });

  const invalid: [string, unknown, string][] = [
    ['no url', {}, 'url'],
    ['url null', { url: null }, 'url'],
    ['url of another scheme', { url: 'ftp://files.example/x' }, 'url'],
    ['url not a URL', { url: 'not a url' }, 'url'],
    ['url over 2,000 chars', { url: `https://a.example/${'x'.repeat(2_000)}` }, 'url'],
    ['url a number', { url: 42 }, 'url'],
    ['types not an array', { url: RECEIVER, types: 'hold.created' }, 'types'],
    ['types empty', { url: RECEIVER, types: [] }, 'types'],
    ['types null', { url: RECEIVER, types: null }, 'types'],
    ['an unknown type', { url: RECEIVER, types: ['hold.created', 'hold.teleported'] }, 'types.1'],
    ['description empty', { url: RECEIVER, description: '' }, 'description'],
    ['description over 200 chars', { url: RECEIVER, description: 'd'.repeat(201) }, 'description'],
    ['after without event_id', { url: RECEIVER, after: '0' }, 'after'],
    ['event_id an object', { url: RECEIVER, event_id: { id: 1 } }, 'event_id'],
    ['an unknown field', { url: RECEIVER, secret: 'whsec_mine' }, 'secret'],
    ['status on create', { url: RECEIVER, status: 'disabled' }, 'status'],
  ];
  for (const [what, body, field] of invalid) {
    it(`POST /webhooks with ${what}: 422 naming ${field}, nothing created`, async () => {
      const before = await count();
      const response = await hooks.create(body);
      expectProblem(response, 422);
      expect(response.body.errors.map((error: { field: string }) => error.field), JSON.stringify(response.body)).to.include(field);
      expect(await count()).to.equal(before);
    });
  }

  it('after: malformed or beyond the log is a 422 naming after', async () => {
    expectProblem(await hooks.create({ url: RECEIVER, event_id: eventId, after: 'yesterday' }), 422);
    const beyond = await hooks.create({ url: RECEIVER, event_id: eventId, after: '99999999999999-0' });
    expectProblem(beyond, 422);
    expect(beyond.body.errors[0].field).to.equal('after');
  });

  it('body not JSON: 400; not an object: 422; not JSON content: 415', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expectProblem(await app.api.post('/webhooks', undefined, { raw: '{"url":', headers }), 400);
    expectProblem(await app.api.post('/webhooks', ['x'], { headers }), 422);
    expectProblem(await app.api.post('/webhooks', undefined, { raw: 'url=x', headers: { ...headers, 'content-type': 'text/plain' } }), 415);
  });

  it('404: an unknown event_id in the body, an unknown or malformed webhook id', async () => {
    expectProblem(await hooks.create({ url: RECEIVER, event_id: randomUUID() }), 404);
    for (const id of [randomUUID(), 'nope']) {
      expectProblem(await hooks.get(id), 404);
      expectProblem(await hooks.patch(id, { status: 'disabled' }), 404);
      expectProblem(await hooks.delete(id), 404);
    }
  });

  it('401 without the admin token on every webhook route, and nothing changes', async () => {
    const { webhookId } = await hooks.subscribe(null, { url: RECEIVER });
    const before = await count();
    const anonymous = new WebhookApi(app.api);
    const wrong = new WebhookApi(app.api, 'not-the-token');
    for (const client of [anonymous, wrong]) {
      expectProblem(await client.create({ url: RECEIVER }), 401);
      expectProblem(await client.list(), 401);
      expectProblem(await client.get(webhookId), 401);
      expectProblem(await client.patch(webhookId, { status: 'disabled' }), 401);
      expectProblem(await client.delete(webhookId), 401);
    }
    expect(await count()).to.equal(before);
    expect((await hooks.get(webhookId)).body.status).to.equal('enabled');
  });

  it('PATCH changes url, types, description and status; null types and description go back to their defaults', async () => {
    const { webhookId } = await hooks.subscribe(null, { url: RECEIVER, types: ['hold.created'], description: 'before' });
    const changed = await hooks.patch(webhookId, { url: 'https://b.example/new', types: ['booking.created', 'booking.cancelled'], description: 'after' });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    expect(changed.body).to.include({ url: 'https://b.example/new', description: 'after', status: 'enabled' });
    expect(changed.body.types).to.deep.equal(['booking.created', 'booking.cancelled']);
    expect(changed.body).to.not.have.property('secret');

    const disabled = await hooks.patch(webhookId, { webhook: { status: 'disabled' } });
    expect(disabled.body.status).to.equal('disabled');
    expect(disabled.body.disabled_reason).to.match(/^[A-Z].*\.$/);
    const enabled = await hooks.patch(webhookId, { status: 'enabled' });
    expect(enabled.body.status).to.equal('enabled');
    expect(enabled.body).to.not.have.property('disabled_reason');

    const reset = await hooks.patch(webhookId, { types: null, description: null });
    expect(reset.body).to.include({ types: null, description: null });
    expect((await hooks.get(webhookId)).body).to.deep.equal(reset.body);
  });

  it('PATCH with bad input: 422 naming the field, nothing changed', async () => {
    const { webhookId } = await hooks.subscribe(null, { url: RECEIVER, description: 'stays' });
    const before = (await hooks.get(webhookId)).body;
    const cases: [unknown, string][] = [
      [{ url: 'gopher://x.example' }, 'url'],
      [{ url: null }, 'url'],
      [{ status: 'paused' }, 'status'],
      [{ status: null }, 'status'],
      [{ types: ['nope'] }, 'types.0'],
      [{ event_id: eventId }, 'event_id'],
      [{ after: '0' }, 'after'],
      [{ description: 'x'.repeat(201) }, 'description'],
    ];
    for (const [body, field] of cases) {
      const response = await hooks.patch(webhookId, body);
      expectProblem(response, 422);
      expect(response.body.errors.map((error: { field: string }) => error.field), JSON.stringify(body)).to.include(field);
    }
    expect((await hooks.get(webhookId)).body).to.deep.equal(before);
  });

  it('DELETE: 200 with the webhook; then 404 to every request for it, and it is not listed', async () => {
    const { webhookId } = await hooks.subscribe(null, { url: RECEIVER });
    const deleted = await hooks.delete(webhookId);
    expect(deleted.status).to.equal(200);
    expect(deleted.body.webhook_id).to.equal(webhookId);
    expect(deleted.body).to.not.have.property('secret');
    expectProblem(await hooks.get(webhookId), 404);
    expectProblem(await hooks.delete(webhookId), 404);
    expectProblem(await hooks.patch(webhookId, { status: 'enabled' }), 404);
    const ids = ((await hooks.list()).body.webhooks as { webhook_id: string }[]).map((webhook) => webhook.webhook_id);
    expect(ids).to.not.include(webhookId);
  });

  it('Idempotency-Key: the same key and body replay the first answer (same id and secret); another body is a 422', async () => {
    const key = randomUUID();
    const before = await count();
    const first = await hooks.create({ url: RECEIVER, description: 'once' }, { 'idempotency-key': key });
    const again = await hooks.create({ url: RECEIVER, description: 'once' }, { 'idempotency-key': key });
    expect(first.status).to.equal(201);
    expect(again.status).to.equal(201);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body).to.deep.equal(first.body);
    expect(await count()).to.equal(before + 1);
    expectProblem(await hooks.create({ url: RECEIVER, description: 'twice' }, { 'idempotency-key': key }), 422);
    expect(await count()).to.equal(before + 1);
  });
});

describe('webhooks: private targets refused unless allowed', () => {
  let app: TestService;
  let hooks: WebhookApi;

  before(async () => {
    app = await startTestService({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    hooks = new WebhookApi(app.api);
  });
  after(() => app.stop());

  const refused = [
    'http://127.0.0.1:8080/hook',
    'http://127.1/hook',
    'http://2130706433/hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.9/hook',
    'http://192.168.1.20/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
    'http://[::1]/hook',
    'http://[::]/hook',
    'http://[fe80::1]/hook',
    'http://[fd00::5]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:10.0.0.1]/hook',
    'http://localhost:8080/hook',
    'https://api.localhost/hook',
    'http://localhost./hook',
  ];
  for (const url of refused) {
    it(`refuses ${url}: 422 naming url, nothing created`, async () => {
      const response = await hooks.create({ url });
      expectProblem(response, 422);
      expect(response.body.errors[0].field).to.equal('url');
      expect((await hooks.list()).body.webhooks).to.have.length(0);
    });
  }

  it('accepts a public address; a PATCH to a private one is refused and changes nothing', async () => {
    const created = await hooks.create({ url: 'http://93.184.216.34/hook' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.webhook_id;
    for (const url of ['http://127.0.0.1/hook', 'http://[::ffff:7f00:1]/x', 'http://localhost/x']) {
      const response = await hooks.patch(id, { url });
      expectProblem(response, 422);
      expect(response.body.errors[0].field).to.equal('url');
    }
    expect((await hooks.get(id)).body.url).to.equal('http://93.184.216.34/hook');
    await hooks.delete(id);
  });
});
