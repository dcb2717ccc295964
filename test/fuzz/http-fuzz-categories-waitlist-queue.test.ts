import { expect } from 'chai';
import fc from 'fast-check';
import type { ApiResponse } from '../helpers/api.js';
import { mutated as mutatedWith } from '../helpers/fuzz-mutations.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Generated bad input at the endpoints of categories, named seats, items, extension,
// cancellation, the waiting list, the log and the queue: valid bodies with one field replaced by
// a random value, dropped, or joined by an unknown one; random objects; odd wrappers; odd
// query strings. Whatever comes in: never a 5xx, every 4xx a problem document, and every
// answer the one the OpenAPI document describes (the test service's Api checks that).

const RUNS = 120;
const ADMIN = 'fuzz-admin';
const admin = { Authorization: `Bearer ${ADMIN}` };

const hugeNumbers = fc.constantFrom(1e308, -1e308, 1e21, 2 ** 53, -0, 0, -1, 0.5, 1_000_001, 100_001, 2 ** 31, 86_401, 59);
const oddStrings = fc.constantFrom(
  '', ' ', '\u0000', '\ud800', 'a\udc00', '😀'.repeat(60), 'A1', 'A0', 'A1001', '1A', 'a b', 'Stalls', 'stalls', 'general',
  '__proto__', 'constructor', '0-0', '1-1-1', '9'.repeat(30), 'x'.repeat(201), '2026-13-45T99:99:99Z', 'tomorrow',
);
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hugeNumbers },
  { weight: 2, arbitrary: oddStrings },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [{}], [null], [[]]) },
  { weight: 1, arbitrary: fc.array(oddStrings, { maxLength: 120 }) },
  { weight: 1, arbitrary: fc.array(fc.record({ category_id: oddStrings, qty: hugeNumbers }), { maxLength: 25 }) },
  { weight: 1, arbitrary: fc.array(fc.record({ row: oddStrings, seats: hugeNumbers }), { maxLength: 5 }) },
);
const oddKeys = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('__proto__', 'constructor', 'qty', 'items', 'seats', 'category_id', 'partial', 'adjacent', 'ttl', 'rows', 'capacity'),
);

/** A valid body with one change somewhere inside it. */
const mutated = (valid: () => unknown) => mutatedWith(valid, oddKeys, anyValue);

const wrappedIn = (wrapper: string, body: fc.Arbitrary<unknown>) =>
  body.chain((inner) => fc.constantFrom<unknown>(inner, inner, { [wrapper]: inner }, { [wrapper]: inner, extra: 1 }, [inner], { entry: { queue: inner } }));

describe('HTTP fuzzing (fast-check) of categories, seats, items, extension, cancellation, waiting list, log and queue: bad input never gets a 5xx', function () {
  this.timeout(180_000);
  let app: TestService;
  const ref = { eventId: '', holdId: '', token: '', bookingId: '', bookingToken: '', entryId: '', entryToken: '' };
  const statuses = new Map<number, number>();

  before(async () => {
    app = await startTestService({ ADMIN_TOKEN: ADMIN, HOLD_TTL_MAX_S: '900' });
    const event = await app.api.post('/events', validEvent(), { headers: admin });
    expect(event.status, JSON.stringify(event.body)).to.equal(201);
    ref.eventId = event.body.event_id;
    const hold = await app.api.post('/holds', { event_id: ref.eventId, qty: 2, category_id: 'stalls', ttl: 900 });
    const toBook = await app.api.post('/holds', { event_id: ref.eventId, items: [{ category_id: 'standing', qty: 2 }] });
    const booking = await app.api.post('/book', { hold_id: toBook.body.hold_id, payment_token: toBook.body.payment_token });
    const entry = await app.api.post(`/events/${ref.eventId}/waitlist`, { qty: 1, category_id: 'standing' });
    expect([hold.status, toBook.status, booking.status, entry.status]).to.deep.equal([201, 201, 201, 201]);
    Object.assign(ref, {
      holdId: hold.body.hold_id,
      token: hold.body.payment_token,
      bookingId: booking.body.booking_id,
      bookingToken: toBook.body.payment_token,
      entryId: entry.body.entry_id,
      entryToken: entry.body.entry_token,
    });
  });
  after(async () => {
    console.log(`      v2 fuzz: statuses ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    await app?.stop();
  });

  function validEvent() {
    return {
      name: 'Fuzz hall',
      max_per_hold: 8,
      categories: [
        { category_id: 'stalls', name: 'Stalls', rows: [{ row: 'A', seats: 6 }, { row: 'B-', seats: 6 }] },
        { category_id: 'standing', capacity: 30 },
      ],
    };
  }

  const expectNo5xx = (what: string, response: ApiResponse) => {
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    expect(response.status, `${what}: ${JSON.stringify(response.body).slice(0, 300)}`).to.be.below(500);
    if (response.status >= 400) {
      expect(response.contentType, what).to.match(/^application\/problem\+json/);
      expect(response.body.status, what).to.equal(response.status);
      if (response.status === 422) expect(response.body.errors, what).to.be.an('array').that.is.not.empty;
    }
  };

  const endpoints: [string, string, () => string, () => unknown, string][] = [
    ['POST', '/events', () => '/events', validEvent, 'event'],
    ['POST', '/holds (qty)', () => '/holds', () => ({ event_id: ref.eventId, qty: 1, category_id: 'stalls', adjacent: false, partial: true }), 'hold'],
    ['POST', '/holds (items)', () => '/holds', () => ({ event_id: ref.eventId, items: [{ category_id: 'stalls', qty: 1 }, { category_id: 'standing', qty: 1 }] }), 'hold'],
    ['POST', '/holds (seats)', () => '/holds', () => ({ event_id: ref.eventId, seats: ['A6', 'B-6'], ttl: 60 }), 'hold'],
    ['POST', 'extend', () => `/holds/${ref.holdId}/extend`, () => ({ payment_token: ref.token, ttl: 60 }), 'hold'],
    ['POST', 'cancel', () => `/bookings/${ref.bookingId}/cancel`, () => ({ payment_token: 'not-the-token' }), 'booking'],
    ['POST', 'waitlist', () => `/events/${ref.eventId}/waitlist`, () => ({ qty: 1, category_id: 'standing', ttl: 60 }), 'entry'],
    ['DELETE', 'leave', () => `/waitlist/${ref.entryId}`, () => ({ entry_token: 'not-the-token' }), 'entry'],
    ['PUT', 'queue', () => `/events/${ref.eventId}/queue`, () => ({ opens_at: '2030-01-01T00:00:00Z', admit_per_minute: 60, admission_ttl_s: 600 }), 'queue'],
    ['POST', 'tickets', () => `/events/${ref.eventId}/queue/tickets`, () => ({}), 'ticket'],
  ];

  for (const [method, name, path, valid, wrapper] of endpoints) {
    it(`${method} ${name}: mutated bodies, random objects, odd wrappers`, async () => {
      const bodies = fc.oneof(
        { weight: 4, arbitrary: mutated(valid) },
        { weight: 1, arbitrary: fc.dictionary(oddKeys, anyValue, { maxKeys: 6 }) },
        { weight: 1, arbitrary: anyValue },
      );
      await fc.assert(
        fc.asyncProperty(wrappedIn(wrapper, bodies), async (body) => {
          const response = await app.api.request(method, path(), body, { headers: admin });
          expectNo5xx(`${method} ${path()} ${JSON.stringify(body)?.slice(0, 200)}`, response);
          // the operator's queue on the reference event would gate the holds that follow
          if (name === 'queue' && response.status === 200) await app.api.request('DELETE', path(), undefined, { headers: admin });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('GET seats, log and queue with random query strings', async () => {
    const query = fc.dictionary(fc.constantFrom('after', 'limit', 'category_id', 'x', 'limit[]'), fc.oneof(oddStrings, fc.string({ maxLength: 12 }), hugeNumbers.map(String)), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('seats', 'log', 'queue'), query, async (what, params) => {
        const search = new URLSearchParams(params as Record<string, string>).toString();
        const response = await app.api.get(`/events/${ref.eventId}/${what}?${search}`, { headers: admin });
        expectNo5xx(`GET ${what}?${search}`, response);
      }),
      { numRuns: RUNS },
    );
  });
});
