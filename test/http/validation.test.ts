import { expect } from 'chai';
import { Redis } from 'ioredis';
import { expectProblem, type ApiResponse } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Bad input on every endpoint that takes a body: the right 4xx as problem+json, never a
// 5xx, and no state change. Every bad body is built from a body that would succeed (and
// move seats, create an event or book the hold), so a wrongly accepted one is noticed.

const MAX_QTY = 10;
const TTL_MAX_S = 900;

interface Fixture {
  eventId: string;
  holdId: string;
  token: string;
}

interface BadRequest {
  label: string;
  /** a JSON value to send (JSON-encoded) */
  body?: (f: Fixture) => unknown;
  /** or a raw body string */
  raw?: (f: Fixture) => string;
  headers?: Record<string, string>;
  query?: string;
  status: number;
  /** for 422: fields the `errors` list must name */
  fields?: string[];
  /** the fields are present but wrong: their messages must not say "required" */
  present?: boolean;
}

type Endpoint = 'events' | 'holds' | 'book';

const valid: Record<Endpoint, (f: Fixture) => Record<string, unknown>> = {
  events: () => ({ name: 'Should not exist', total_seats: 5 }),
  holds: (f) => ({ event_id: f.eventId, qty: 2 }),
  book: (f) => ({ hold_id: f.holdId, payment_token: f.token }),
};
const wrapperOf: Record<Endpoint, string> = { events: 'event', holds: 'hold', book: 'booking' };
const pathOf: Record<Endpoint, string> = { events: '/events', holds: '/holds', book: '/book' };
const required: Record<Endpoint, string[]> = {
  events: ['name', 'total_seats'],
  holds: ['event_id', 'qty'],
  book: ['hold_id', 'payment_token'],
};
/** POST /events takes up to 1 MiB (seat maps are long), every other body 16 KiB */
const bodyLimitOf: Record<Endpoint, number> = { events: 1024 * 1024, holds: 16 * 1024, book: 16 * 1024 };
const optional: Record<Endpoint, string[]> = { events: ['max_per_hold'], holds: ['ttl', 'partial'], book: [] };

/** wrong values per field, each of which must be a 422 naming the field */
const wrongValues: Record<Endpoint, Record<string, unknown[]>> = {
  events: {
    name: ['', 'x'.repeat(201), 42, true, [], {}],
    total_seats: ['2', 1.5, 0, -1, 1_000_001, true, [5], {}],
    max_per_hold: [0, -1, 1.5, '2', false],
  },
  holds: {
    event_id: ['', 'x'.repeat(201), true, {}, [], 1.5, -1],
    qty: ['2', 1.5, 0, -1, MAX_QTY + 1, true, [2], {}],
    ttl: [0, -1, 1.5, '60', TTL_MAX_S + 1, true],
    partial: ['true', 1, 'yes', {}],
  },
  book: {
    hold_id: ['', 'x'.repeat(201), true, {}, 1.5],
    payment_token: ['', 'x'.repeat(201), 123, true, {}],
  },
};

const without = (body: Record<string, unknown>, field: string) => {
  const copy = { ...body };
  delete copy[field];
  return copy;
};

function badRequests(endpoint: Endpoint): BadRequest[] {
  const ok = valid[endpoint];
  const wrapper = wrapperOf[endpoint];
  const otherWrapper = { events: 'hold', holds: 'booking', book: 'event' }[endpoint];
  const cases: BadRequest[] = [
    // not JSON
    ...['{"name": ', '{name: 1}', "{'qty': 1}", 'not json', '{"a":1}}', '[1,]'].map((raw) => ({
      label: `body not JSON: ${raw}`,
      raw: () => raw,
      status: 400,
    })),
    // JSON, not an object
    ...['[]', '42', '"text"', 'true', 'null'].map((raw) => ({
      label: `JSON body ${raw}`,
      raw: () => raw,
      status: 422,
      fields: ['body'],
    })),
    { label: 'JSON array holding a valid body', body: (f) => [ok(f)], status: 422, fields: ['body'] },
    // unknown fields
    { label: 'unknown field', body: (f) => ({ ...ok(f), extra: 1 }), status: 422, fields: ['extra'] },
    { label: 'unknown field __proto__', raw: (f) => JSON.stringify(ok(f)).replace(/^\{/, '{"__proto__":{"x":1},'), status: 422, fields: ['__proto__'] },
    {
      label: `unknown field inside {"${wrapper}":{…}}`,
      body: (f) => ({ [wrapper]: { ...ok(f), extra: 1 } }),
      status: 422,
      fields: ['extra'],
    },
    {
      label: `{"${wrapper}":{…}} with a sibling field`,
      body: (f) => ({ [wrapper]: ok(f), extra: 1 }),
      status: 422,
      fields: ['extra'],
    },
    {
      label: `another endpoint's wrapper {"${otherWrapper}":{…}}`,
      body: (f) => ({ [otherWrapper]: ok(f) }),
      status: 422,
      fields: [otherWrapper],
    },
    { label: 'empty object', body: () => ({}), status: 422, fields: required[endpoint] },
    { label: `empty {"${wrapper}":{}}`, body: () => ({ [wrapper]: {} }), status: 422, fields: required[endpoint] },
  ];
  for (const field of required[endpoint]) {
    cases.push({ label: `missing ${field}`, body: (f) => without(ok(f), field), status: 422, fields: [field] });
    cases.push({
      label: `missing ${field}, wrapped`,
      body: (f) => ({ [wrapper]: without(ok(f), field) }),
      status: 422,
      fields: [field],
    });
  }
  for (const field of [...required[endpoint], ...optional[endpoint]]) {
    cases.push({ label: `${field} null`, body: (f) => ({ ...ok(f), [field]: null }), status: 422, fields: [field], present: true });
  }
  for (const [field, values] of Object.entries(wrongValues[endpoint])) {
    for (const value of values) {
      const shown = typeof value === 'string' && value.length > 20 ? `"${value.length} chars"` : JSON.stringify(value);
      cases.push({
        label: `${field} ${shown}`,
        body: (f) => ({ ...ok(f), [field]: value }),
        status: 422,
        fields: [field],
        present: true,
      });
    }
  }
  const numberField = { events: 'total_seats', holds: 'qty', book: 'hold_id' }[endpoint];
  if (endpoint !== 'book') {
    cases.push({
      label: `${numberField} 1e400 (Infinity once parsed)`,
      raw: (f) => JSON.stringify({ ...ok(f), [numberField]: 0 }).replace(`"${numberField}":0`, `"${numberField}":1e400`),
      status: 422,
      fields: [numberField],
    });
  }
  // size
  const limit = bodyLimitOf[endpoint];
  const shown = limit >= 1024 * 1024 ? `${limit / (1024 * 1024)} MiB` : `${limit / 1024} KiB`;
  cases.push(
    {
      label: `body of ${shown} + 1 byte`,
      raw: (f) => padTo(ok(f), limit + 1),
      status: 413,
    },
    { label: `body of 4 × ${shown}`, raw: (f) => padTo(ok(f), limit * 4), status: 413 },
    // exactly the limit is read (and then refused for its unknown padding field)
    { label: `body of exactly ${shown}`, raw: (f) => padTo(ok(f), limit), status: 422, fields: ['pad'] },
  );
  // media type
  cases.push(
    ...[
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json; charset=latin1',
    ].map((type) => ({
      label: `Content-Type ${type}`,
      body: ok,
      headers: { 'content-type': type },
      status: 415,
    })),
    {
      label: 'a form body',
      raw: (f: Fixture) => new URLSearchParams(Object.entries(ok(f)).map(([k, v]) => [k, String(v)])).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
    },
    { label: 'no Content-Type', body: ok, headers: { 'content-type': '' }, status: 415 },
  );
  return cases;
}

/** the body plus a `pad` field, JSON-encoded to exactly `bytes` bytes */
function padTo(body: Record<string, unknown>, bytes: number): string {
  const empty = JSON.stringify({ ...body, pad: '' });
  const text = JSON.stringify({ ...body, pad: 'x'.repeat(bytes - Buffer.byteLength(empty)) });
  expect(Buffer.byteLength(text)).to.equal(bytes);
  return text;
}

const holdQueryCases: BadRequest[] = [
  { label: '?hold_ttl=abc', query: 'hold_ttl=abc', status: 422, fields: ['hold_ttl'] },
  { label: '?hold_ttl=0', query: 'hold_ttl=0', status: 422, fields: ['hold_ttl'] },
  { label: '?hold_ttl=1.5', query: 'hold_ttl=1.5', status: 422, fields: ['hold_ttl'] },
  { label: '?hold_ttl=-1', query: 'hold_ttl=-1', status: 422, fields: ['hold_ttl'] },
  { label: `?hold_ttl above HOLD_TTL_MAX_S`, query: `hold_ttl=${TTL_MAX_S / 60 + 1}`, status: 422, fields: ['hold_ttl'] },
  { label: '?hold_ttl given twice', query: 'hold_ttl=1&hold_ttl=2', status: 422, fields: ['hold_ttl'] },
  { label: '?allot_partial=maybe', query: 'allot_partial=maybe', status: 422, fields: ['allot_partial'] },
].map((c) => ({ ...c, body: valid.holds }));

const releaseCases: BadRequest[] = [
  { label: 'body not JSON', raw: () => '{"payment_token": ', status: 400 },
  // the header alone would release: a bad body must still be refused
  ...['null', '[]', '"token"', '7'].map(
    (raw): BadRequest => ({ label: `JSON body ${raw}`, raw: () => raw, status: 422, fields: ['body'] }),
  ),
  { label: 'unknown field', body: (f: Fixture) => ({ payment_token: f.token, extra: 1 }), status: 422, fields: ['extra'] },
  { label: 'payment_token null', body: () => ({ payment_token: null }), status: 422, fields: ['payment_token'] },
  { label: 'payment_token 123', body: () => ({ payment_token: 123 }), status: 422, fields: ['payment_token'] },
  { label: 'payment_token ""', body: () => ({ payment_token: '' }), status: 422, fields: ['payment_token'] },
  { label: 'body of 16 KiB + 1 byte', raw: (f: Fixture) => padTo({ payment_token: f.token }, 16 * 1024 + 1), status: 413 },
  {
    label: 'Content-Type text/plain',
    body: (f: Fixture) => ({ payment_token: f.token }),
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
];

describe('validation: bad input is a 4xx problem and changes nothing', () => {
  let app: TestService;
  let redis: Redis;
  const fixture: Fixture = { eventId: '', holdId: '', token: '' };
  let baseline: Awaited<ReturnType<typeof snapshot>>;

  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: String(MAX_QTY), HOLD_TTL_MAX_S: String(TTL_MAX_S) });
    redis = new Redis((await sharedRedis()).url);
    fixture.eventId = await app.api.createEvent(10);
    const hold = await app.api.hold(fixture.eventId, 2, { ttl: 600 });
    expect(hold.status).to.equal(201);
    fixture.holdId = hold.body.hold_id;
    fixture.token = hold.body.payment_token;
    baseline = await snapshot();
    expect(baseline).to.deep.include({ available: 8, held: 2, booked: 0, holdStatus: 'active', events: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  /** everything a wrongly accepted request could change */
  async function snapshot() {
    const event = await app.api.get(`/events/${fixture.eventId}`);
    const hold = await app.api.get(`/holds/${fixture.holdId}`);
    return {
      available: event.body.available as number,
      held: event.body.held as number,
      booked: event.body.booked as number,
      holdStatus: hold.body.status as string,
      events: await redis.scard(`${app.prefix}:events`),
      // the keys of events, holds, bookings and idempotency records (not the queue's or a lease's)
      keys: (await redis.keys(`${app.prefix}:*`))
        .filter((key) => /^[^:]+:(\{[0-9a-f-]{36}\}|idem|events$)/.test(key))
        .sort(),
    };
  }

  const expectFields = (response: ApiResponse, { fields, present }: BadRequest) => {
    if (response.status !== 422) return;
    expect(response.body.errors, 'a 422 carries an errors list').to.be.an('array').that.is.not.empty;
    for (const error of response.body.errors) {
      expect(error.field).to.be.a('string');
      expect(error.message).to.be.a('string');
    }
    const named = response.body.errors.map((error: { field: string }) => error.field);
    for (const field of fields ?? []) expect(named, `errors name ${field}`).to.include(field);
    const messages = (field: string) =>
      response.body.errors.filter((error: { field: string }) => error.field === field).map((e: { message: string }) => e.message);
    if (present) for (const field of fields ?? []) expect(messages(field).join('; ')).to.not.match(/required/);
  };

  async function send(method: string, path: string, request: BadRequest, headers: Record<string, string> = {}) {
    const options = { headers: { ...request.headers, ...headers } };
    if (request.raw) return app.api.request(method, path, undefined, { ...options, raw: request.raw(fixture) });
    return app.api.request(method, path, request.body?.(fixture), options);
  }

  async function check(response: ApiResponse, request: BadRequest) {
    expectProblem(response, request.status);
    expectFields(response, request);
    expect(await snapshot(), 'state unchanged').to.deep.equal(baseline);
  }

  for (const endpoint of ['events', 'holds', 'book'] as const) {
    describe(`POST ${pathOf[endpoint]}`, () => {
      for (const request of badRequests(endpoint)) {
        it(`${request.label} → ${request.status}`, async () => {
          await check(await send('POST', pathOf[endpoint], request), request);
        });
      }

      it('an oversized body sent chunked (no Content-Length) → 413', async () => {
        const text = padTo(valid[endpoint](fixture), bodyLimitOf[endpoint] + 4 * 1024);
        const bytes = new TextEncoder().encode(text);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 4096) controller.enqueue(bytes.slice(at, at + 4096));
            controller.close();
          },
        });
        const response = await fetch(`${app.api.baseUrl}${pathOf[endpoint]}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          duplex: 'half',
        } as RequestInit);
        const parsed: ApiResponse = {
          status: response.status,
          headers: response.headers,
          contentType: response.headers.get('content-type') ?? '',
          body: await response.json(),
        };
        await check(parsed, { label: 'chunked', status: 413 });
      });
    });
  }

  describe('POST /holds query parameters', () => {
    for (const request of holdQueryCases) {
      it(`${request.label} → ${request.status}`, async () => {
        await check(await send('POST', `/holds?${request.query}`, request), request);
      });
    }
  });

  describe('DELETE /holds/{id}', () => {
    for (const request of releaseCases) {
      it(`${request.label} → ${request.status}`, async () => {
        // the right token in the header: only the bad body stands between it and a release
        const response = await send('DELETE', `/holds/${fixture.holdId}`, request, { 'Payment-Token': fixture.token });
        await check(response, request);
      });
    }
  });

  describe('routes and methods', () => {
    it('an unknown route is a 404 problem', async () => {
      for (const [method, path] of [
        ['GET', '/nope'],
        ['POST', '/nope'],
        ['GET', '/'],
        ['POST', '/booking'],
        ['GET', '/events/x/y'],
        ['DELETE', '/holds/x/y'],
        ['POST', '/book/x'],
      ] as const) {
        const response = await app.api.request(method, path, method === 'POST' ? {} : undefined);
        expectProblem(response, 404);
      }
      expect(await snapshot()).to.deep.equal(baseline);
    });

    it('a wrong method on a known path is a 405 problem with Allow', async () => {
      const cases: [string, string, string][] = [
        ['PATCH', '/events', 'POST, GET'],
        ['DELETE', '/events', 'POST, GET'],
        ['PUT', `/events/${fixture.eventId}`, 'GET, PATCH'],
        ['DELETE', `/events/${fixture.eventId}`, 'GET, PATCH'],
        ['POST', `/events/${fixture.eventId}`, 'GET, PATCH'],
        ['GET', '/holds', 'POST'],
        ['PUT', '/holds', 'POST'],
        ['POST', `/holds/${fixture.holdId}`, 'GET, DELETE'],
        ['PATCH', `/holds/${fixture.holdId}`, 'GET, DELETE'],
        ['PUT', `/holds/${fixture.holdId}`, 'GET, DELETE'],
        ['GET', '/book', 'POST'],
        ['DELETE', '/book', 'POST'],
        ['POST', '/bookings/x', 'GET'],
        ['DELETE', '/bookings/x', 'GET'],
      ];
      for (const [method, path, allow] of cases) {
        const body = method === 'GET' || method === 'DELETE' ? undefined : valid.book(fixture);
        const response = await app.api.request(method, path, body, { headers: { 'Payment-Token': fixture.token } });
        expectProblem(response, 405);
        expect(response.headers.get('allow'), `${method} ${path}`).to.equal(allow);
      }
      expect(await snapshot()).to.deep.equal(baseline);
    });
  });

  // Last: the bodies every case above was built from are accepted, so each refusal above
  // was for its one defect.
  describe('control', () => {
    it('the valid bodies, and values at each limit, are accepted', async () => {
      const event = await app.api.post('/events', valid.events(fixture));
      expect(event.status, JSON.stringify(event.body)).to.equal(201);
      const big = await app.api.post('/events', { event: { name: 'x'.repeat(200), total_seats: 1_000_000, max_per_hold: 1 } });
      expect(big.status, JSON.stringify(big.body)).to.equal(201);
      const hold = await app.api.post('/holds?hold_ttl=15&allot_partial=1', valid.holds(fixture));
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      const atLimits = await app.api.post('/holds', { hold: { event_id: fixture.eventId, qty: 6, ttl: TTL_MAX_S, partial: false } });
      expect(atLimits.status, JSON.stringify(atLimits.body)).to.equal(201);
      const booked = await app.api.post('/book', valid.book(fixture));
      expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
      const report = await assertInvariants(app.api, fixture.eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
      expect(report).to.include({ available: 0, held: 8, booked: 2 });
    });
  });
});
