import { expect } from 'chai';
import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Bad input at every endpoint, generated: random JSON values, objects with random keys,
// fields of the wrong type or out of range, huge numbers, unicode, nested wrappers, odd
// path segments, header variants and raw bodies that are not JSON at all. Whatever comes
// in (contract invariant 6): never a 5xx, every 4xx a problem document, and a reference
// event whose counts do not move. The few generated requests that happen to be valid
// holds on the reference event are released at once, so its counts must still match.

const RUNS = { events: 150, holds: 250, book: 200, paths: 250, raw: 250 };

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

interface Received {
  status: number;
  contentType: string;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function send(baseUrl: string, sent: Sent): Promise<Received> {
  const url = new URL(baseUrl);
  const body = typeof sent.body === 'string' ? Buffer.from(sent.body, 'utf8') : sent.body;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: sent.method,
        path: sent.path,
        agent,
        timeout: 10_000,
        headers: { ...sent.headers, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within 10 s: ${sent.method} ${sent.path.slice(0, 80)}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const describeSent = (sent: Sent) =>
  `${sent.method} ${sent.path.slice(0, 120)} ${JSON.stringify(sent.headers)} ${String(sent.body ?? '').slice(0, 200)}`;

// ---- generators -------------------------------------------------------------------------

const hugeNumbers = fc.constantFrom(
  1e308, -1e308, 1e21, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, -0, 0, -1, 0.5, 1.0000001, 1_000_001, 900.5, 2 ** 31,
);
const oddStrings = fc.constantFrom(
  '', ' ', '\u0000', '\ud800', '\uffff', '😀'.repeat(60), 'é', 'null', 'undefined', 'true', '1', '-1', '1e999', 'NaN',
  '__proto__', 'constructor', '../../etc/passwd', '%00', "' OR 1=1 --", '<script>alert(1)</script>', '{}', '[]',
  'x'.repeat(201), 'y'.repeat(5_000),
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), oddStrings);
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: hugeNumbers },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.integer() },
);
const oddKeys = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'event_id', 'qty', 'hold', 'event', 'booking', 'QTY', 'qty '),
);
const randomObject = fc.dictionary(oddKeys, anyValue, { maxKeys: 5 });

/** A body or one of the ways it may be wrapped (right, wrong, doubled, in an array). */
const wrapped = (body: fc.Arbitrary<unknown>) =>
  body.chain((inner) =>
    fc.constantFrom<unknown>(
      inner,
      inner,
      { hold: inner },
      { event: inner },
      { booking: inner },
      { hold: { hold: inner } },
      { event: inner, extra: 1 },
      [inner],
      JSON.stringify(inner) ?? null,
    ),
  );

const jsonTypes = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8',
  'application/problem+json', 'application/vnd.box-office+json',
);
const otherTypes = fc.constantFrom<string | undefined>(
  undefined, '', 'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/jsonp', 'json', '*/*',
  'application/xml', 'application/json, text/plain',
);
const contentTypes = fc.oneof({ weight: 4, arbitrary: jsonTypes }, { weight: 1, arbitrary: otherTypes });

/** Header values as HTTP can carry them: visible ASCII and Latin-1, short and very long. */
const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((code) => String.fromCharCode(code));
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, minLength: 1, maxLength: 40 }),
  fc.string({ unit: headerChar, minLength: 250, maxLength: 300 }),
  fc.uuid(),
);
const optionalHeader = (name: string) => fc.option(headerValue, { nil: undefined }).map((value) => (value === undefined ? {} : { [name]: value }));

/** Raw bodies that are not JSON, or not quite, or not UTF-8. */
const rawBodies = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s as string | Buffer),
  fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom<string | Buffer>(
    '{', '}', '[', '{"a":', 'nul', 'undefined', "{'qty':1}", '{"qty":1,}', '\u0000', '\ufeff{}', 'NaN', '1e400', '-',
    '{"qty":1}{"qty":2}', '"unterminated', '[1,2', '{"a":1e99999}', 'qty=1&event_id=2', '<xml/>',
    `${'['.repeat(5_000)}${']'.repeat(5_000)}`, `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`, 'x'.repeat(17_000),
    Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from([0xc3, 0x28]),
  ),
);

const enc = (segment: string) => encodeURIComponent(segment);
const rawSegments = fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '..', '.', '%2F', '%2E%2E', ';x', '%20', '~', '%FF%FE');

describe('HTTP fuzzing (fast-check): bad input never gets a 5xx and never changes state', function () {
  this.timeout(120_000);

  let app: TestService;
  let redisUrl: string;
  const ref = { eventId: '', holdId: '', token: '', bookedHoldId: '', bookingId: '' };
  let countsBefore: Record<string, number>;
  const statuses = new Map<number, number>();
  let cases = 0;
  let validHolds = 0;

  before(async () => {
    redisUrl = (await sharedRedis()).url;
    app = await startTestService();
    ref.eventId = await app.api.createEvent(50, { max_per_hold: 8 });
    const held = await app.api.hold(ref.eventId, 3, { ttl: 900 });
    const toBook = await app.api.hold(ref.eventId, 2, { ttl: 900 });
    const booked = await app.api.post('/book', { hold_id: toBook.body.hold_id, payment_token: toBook.body.payment_token });
    expect([held.status, toBook.status, booked.status]).to.deep.equal([201, 201, 201]);
    Object.assign(ref, {
      holdId: held.body.hold_id,
      token: held.body.payment_token,
      bookedHoldId: toBook.body.hold_id,
      bookingId: booked.body.booking_id,
    });
    countsBefore = await counts();
    expect(countsBefore).to.deep.equal({ total: 50, available: 45, held: 3, booked: 2 });
  });

  after(async () => {
    agent.destroy();
    console.log(
      `      fuzz: ${cases} requests; statuses ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}; ` +
        `${validHolds} generated holds on the reference event were valid (and released)`,
    );
    await app?.stop();
  });

  async function counts() {
    const { status, body } = await app.api.get(`/events/${ref.eventId}`);
    expect(status).to.equal(200);
    const { total, available, held, booked } = body;
    return { total, available, held, booked } as Record<string, number>;
  }

  const refIds = () => fc.constantFrom(ref.eventId, ref.holdId, ref.bookedHoldId, ref.bookingId, `${ref.eventId}.`, ref.holdId.toUpperCase());
  const idValue = () => fc.oneof({ weight: 2, arbitrary: refIds() }, { weight: 3, arbitrary: anyValue }, { weight: 1, arbitrary: fc.nat() });
  const pathId = () =>
    fc.oneof(
      refIds().map(enc),
      fc.string({ minLength: 1, maxLength: 40 }).map(enc),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).map(enc),
      fc.string({ unit: fc.constantFrom('a', 'f', '0', '-', '.'), minLength: 1_000, maxLength: 6_000 }),
      rawSegments,
      refIds().chain((id) => rawSegments.map((odd) => `${enc(id)}${odd}`)),
    );

  /** Sends; checks the answer is no 5xx and every 4xx a complete problem document. */
  async function check(sent: Sent): Promise<{ status: number; body: any }> {
    const received = await send(app.service.url, sent);
    cases++;
    statuses.set(received.status, (statuses.get(received.status) ?? 0) + 1);
    const what = `${describeSent(sent)} → ${received.status} ${received.text.slice(0, 300)}`;
    expect(received.status, what).to.be.below(500);
    let body: any = undefined;
    if (received.contentType.includes('json')) body = JSON.parse(received.text);
    if (received.status >= 400) {
      expect(received.contentType, what).to.match(/^application\/problem\+json/);
      expect(body.type, what).to.be.a('string').and.match(/^https:\/\//);
      expect(body.title, what).to.be.a('string').and.not.equal('');
      expect(body.status, what).to.equal(received.status);
      expect(body.detail, what).to.be.a('string').and.not.equal('');
    } else {
      expect(received.contentType, what).to.match(/^application\/json/);
    }
    return { status: received.status, body };
  }

  /** A generated hold that was valid took seats: give them back, so only bad input is judged. */
  async function undoHold(answer: { status: number; body: any }) {
    if (answer.status !== 201 || answer.body?.event_id !== ref.eventId) return;
    validHolds++;
    const release = await app.api.delete(`/holds/${answer.body.hold_id}`, { payment_token: answer.body.payment_token });
    expect(release.status).to.equal(200);
  }

  function jsonRequest(method: string, path: string, body: unknown, contentType: string | undefined, headers: Record<string, string>): Sent {
    return {
      method,
      path,
      headers: { ...(contentType !== undefined ? { 'content-type': contentType } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null'),
    };
  }

  async function expectReferenceUnchanged() {
    expect(await counts(), 'reference event counts').to.deep.equal(countsBefore);
    const hold = await app.api.get(`/holds/${ref.holdId}`);
    expect(hold.body.status).to.equal('active');
    const booking = await app.api.get(`/bookings/${ref.bookingId}`);
    expect(booking.body.hold_id).to.equal(ref.bookedHoldId);
  }

  it('POST /events', async () => {
    const fields = fc.record(
      {
        name: fc.oneof(anyValue, fc.string({ minLength: 1, maxLength: 200 })),
        total_seats: fc.oneof(anyValue, fc.integer({ min: -10, max: 2_000_000 })),
        max_per_hold: anyValue,
      },
      { requiredKeys: [] },
    );
    const body = wrapped(fc.oneof(fields, randomObject, anyValue));
    await fc.assert(
      fc.asyncProperty(body, contentTypes, optionalHeader('Idempotency-Key'), optionalHeader('Authorization'), async (value, type, key, auth) => {
        await check(jsonRequest('POST', '/events', value, type, { ...key, ...auth }));
      }),
      { numRuns: RUNS.events },
    );
    await expectReferenceUnchanged();
  });

  it('POST /holds (with the FastAPI query parameters too)', async () => {
    const fields = fc.record(
      {
        event_id: idValue(),
        qty: fc.oneof(fc.integer({ min: -3, max: 60 }), anyValue),
        ttl: fc.oneof(fc.integer({ min: -5, max: 2_000 }), anyValue),
        partial: fc.oneof(fc.boolean(), anyValue),
      },
      { requiredKeys: [] },
    );
    const query = fc.oneof(
      fc.constant(''),
      fc.record({ hold_ttl: fc.oneof(fc.nat().map(String), text), allot_partial: fc.oneof(fc.constantFrom('true', '0', 'yes'), text) }, { requiredKeys: [] })
        .map((params) => `?${new URLSearchParams(params as Record<string, string>).toString()}`),
      fc.constantFrom('?hold_ttl=1&hold_ttl=2', '?allot_partial[x]=1', '?hold_ttl=%zz', '?__proto__=1', '?hold_ttl=1e3'),
    );
    const body = wrapped(fc.oneof({ weight: 3, arbitrary: fields }, { weight: 1, arbitrary: randomObject }, { weight: 1, arbitrary: anyValue }));
    await fc.assert(
      fc.asyncProperty(body, query, contentTypes, optionalHeader('Idempotency-Key'), async (value, qs, type, key) => {
        await undoHold(await check(jsonRequest('POST', `/holds${qs}`, value, type, key)));
      }),
      { numRuns: RUNS.holds },
    );
    await expectReferenceUnchanged();
  });

  it('POST /book (never with the real payment token)', async () => {
    const token = fc.oneof(fc.uuid(), text, anyValue, fc.constant(ref.token.toUpperCase()), fc.constant(` ${ref.token}`));
    // Mostly the reference holds with well-formed wrong tokens: 403, and nothing may move.
    const holdId = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(ref.holdId, ref.bookedHoldId) }, { weight: 2, arbitrary: idValue() });
    const fields = fc.record({ hold_id: holdId, payment_token: token }, { requiredKeys: [] });
    const body = wrapped(fc.oneof({ weight: 5, arbitrary: fields }, { weight: 1, arbitrary: randomObject }, { weight: 1, arbitrary: anyValue }));
    await fc.assert(
      fc.asyncProperty(body, contentTypes, optionalHeader('Idempotency-Key'), optionalHeader('Payment-Token'), async (value, type, key, header) => {
        await check(jsonRequest('POST', '/book', value, type, { ...key, ...header }));
      }),
      { numRuns: RUNS.book },
    );
    await expectReferenceUnchanged();
  });

  it('GET /events/:id, GET and DELETE /holds/:id, GET /bookings/:id with odd and very long ids', async () => {
    const target = fc.constantFrom(
      ['GET', '/events/'],
      ['GET', '/holds/'],
      ['DELETE', '/holds/'],
      ['GET', '/bookings/'],
    ) as fc.Arbitrary<[string, string]>;
    const releaseBody = fc.option(
      wrapped(fc.oneof(fc.record({ payment_token: fc.oneof(fc.uuid(), anyValue) }, { requiredKeys: [] }), randomObject)),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(target, pathId(), fc.boolean(), releaseBody, optionalHeader('Payment-Token'), async ([method, prefix], id, slash, body, header) => {
        const path = `${prefix}${id}${slash ? '/' : ''}`;
        const withBody = method === 'DELETE' && body !== undefined;
        await check(jsonRequest(method, path, withBody ? body : undefined, withBody ? 'application/json' : undefined, header));
      }),
      { numRuns: RUNS.paths },
    );
    await expectReferenceUnchanged();
  });

  it('raw bodies that are not JSON, with any Content-Type, at every endpoint', async () => {
    const endpoint = fc.constantFrom(
      ['POST', () => '/events'],
      ['GET', () => `/events/${ref.eventId}`],
      ['POST', () => '/holds'],
      ['GET', () => `/holds/${ref.holdId}`],
      ['DELETE', () => `/holds/${ref.holdId}`],
      ['POST', () => '/book'],
      ['GET', () => `/bookings/${ref.bookingId}`],
    ) as fc.Arbitrary<[string, () => string]>;
    const encoding = fc.constantFrom<Record<string, string>>({}, {}, {}, { 'content-encoding': 'gzip' }, { 'content-encoding': 'deflate' },
      { 'content-encoding': 'br' }, { 'content-encoding': 'identity' }, { 'content-encoding': 'x-bogus' });
    await fc.assert(
      fc.asyncProperty(endpoint, rawBodies, fc.oneof(jsonTypes, otherTypes), encoding, async ([method, path], body, type, coding) => {
        const headers = { ...(type !== undefined ? { 'content-type': type } : {}), ...coding };
        const answer = await check({ method, path: path(), headers, body });
        await undoHold(answer);
      }),
      { numRuns: RUNS.raw },
    );
    await expectReferenceUnchanged();
    await assertInvariants(app.api, ref.eventId, { redis: redisUrl, prefix: app.prefix });
  });
});
