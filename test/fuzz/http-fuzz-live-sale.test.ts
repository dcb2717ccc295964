import { expect } from 'chai';
import fc from 'fast-check';
import type { ApiResponse } from '../helpers/api.js';
import { mutated as mutatedWith } from '../helpers/fuzz-mutations.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Generated input at the operator's live-sale endpoints (events listed and changed, categories
// added and changed, blocks and their release, holds from a block, quotas): valid bodies with
// one field replaced by a random value, dropped, or joined by an unknown one; random objects;
// odd wrappers; odd path segments and query strings. Whatever comes in: never a 5xx, every 4xx
// a problem document, every answer the one the OpenAPI document describes (the test service's
// Api checks that); and whatever the accepted ones did, the event's invariants hold after.

const RUNS = 100;

const hugeNumbers = fc.constantFrom(1e308, -1e308, 1e21, 2 ** 53, -0, 0, -1, 0.5, 1_000_001, 100_001, 1_001, 101, 51, 2 ** 31);
const oddStrings = fc.constantFrom(
  '', ' ', '\u0000', '\ud800', '😀'.repeat(60), 'A1', 'A0', 'A1001', 'a b', 'Stalls', 'stalls', 'general', 'open', 'paused',
  'closed', '__proto__', 'constructor', 'hall', 'Hall', 'a.b', 'x'.repeat(33), 'x'.repeat(201), '9'.repeat(30), 'null',
);
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hugeNumbers },
  { weight: 2, arbitrary: oddStrings },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [{}], [null], [[]]) },
  { weight: 1, arbitrary: fc.array(oddStrings, { maxLength: 120 }) },
  { weight: 1, arbitrary: fc.array(fc.record({ category_id: oddStrings, qty: hugeNumbers }), { maxLength: 25 }) },
  { weight: 1, arbitrary: fc.array(fc.record({ quota_id: oddStrings, capacity: hugeNumbers, categories: fc.array(oddStrings, { maxLength: 3 }) }), { maxLength: 3 }) },
);
const oddKeys = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('__proto__', 'name', 'sales', 'max_per_hold', 'capacity', 'rows', 'seats', 'items', 'reason', 'categories', 'quota_id', 'block_id', 'qty'),
);
const oddSegment = fc.oneof(
  fc.oneof(oddStrings, fc.string({ maxLength: 40 })).map((segment) => encodeURIComponent(segment.replace(/\p{Cs}/gu, '\uFFFD')) || 'x'),
  // (not '..' or '%2e%2e': the client's URL parser resolves them before anything is sent)
  fc.constantFrom('%E0%A4%A', '%00', '%2F', '%25'),
);

/** A valid body with one change somewhere inside it. */
const mutated = (valid: () => unknown) => mutatedWith(valid, oddKeys, anyValue);

const wrappedIn = (wrapper: string, body: fc.Arbitrary<unknown>) =>
  body.chain((inner) => fc.constantFrom<unknown>(inner, inner, { [wrapper]: inner }, { [wrapper]: inner, extra: 1 }, [inner], { block: { quota: inner } }));

describe('HTTP fuzzing (fast-check) of the live-sale endpoints: bad input never gets a 5xx', function () {
  this.timeout(300_000);
  let app: TestService;
  const ref = { eventId: '', blockId: '', seatBlockId: '' };
  const statuses = new Map<number, number>();
  const admin = () => app.api.admin;

  before(async () => {
    app = await startTestService({}, { admin: true });
    const event = await app.api.post('/events', validEvent(), { headers: admin() });
    expect(event.status, JSON.stringify(event.body)).to.equal(201);
    ref.eventId = event.body.event_id;
    const general = await app.api.post(`/events/${ref.eventId}/blocks`, { items: [{ category_id: 'standing', qty: 40 }] }, { headers: admin() });
    const seats = await app.api.post(`/events/${ref.eventId}/blocks`, { seats: ['A1', 'A2', 'B-3'] }, { headers: admin() });
    expect([general.status, seats.status]).to.deep.equal([201, 201]);
    ref.blockId = general.body.block_id;
    ref.seatBlockId = seats.body.block_id;
  });
  after(async () => {
    console.log(`      live-sale fuzz: statuses ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    await app?.stop();
  });

  function validEvent() {
    return {
      name: 'Fuzz live sale',
      max_per_hold: 8,
      sales: 'open',
      categories: [
        { category_id: 'stalls', name: 'Stalls', rows: [{ row: 'A', seats: 6 }, { row: 'B-', seats: 6 }], sales: 'open' },
        { category_id: 'standing', capacity: 300 },
      ],
      quotas: [{ quota_id: 'hall', capacity: 250, categories: ['stalls', 'standing'] }],
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
    ['PATCH', 'event', () => `/events/${ref.eventId}`, () => ({ name: 'Renamed', max_per_hold: 6, sales: 'open' }), 'event'],
    ['POST', 'categories', () => `/events/${ref.eventId}/categories`, () => ({ category_id: 'extra', rows: [{ row: 'X', seats: 3 }], sales: 'open' }), 'category'],
    ['PATCH', 'category', () => `/events/${ref.eventId}/categories/standing`, () => ({ name: 'Floor', capacity: 320, sales: 'open' }), 'category'],
    ['POST', 'blocks (items)', () => `/events/${ref.eventId}/blocks`, () => ({ items: [{ category_id: 'standing', qty: 2 }, { category_id: 'stalls', qty: 1 }], reason: 'fuzz' }), 'block'],
    ['POST', 'blocks (seats)', () => `/events/${ref.eventId}/blocks`, () => ({ seats: ['A5', 'B-6'] }), 'block'],
    ['POST', 'release', () => `/blocks/${ref.blockId}/release`, () => ({ items: [{ category_id: 'standing', qty: 1 }] }), 'block'],
    ['POST', 'release (seats)', () => `/blocks/${ref.seatBlockId}/release`, () => ({ seats: ['A1'] }), 'block'],
    ['POST', '/holds (from a block)', () => '/holds', () => ({ event_id: ref.eventId, block_id: ref.blockId, qty: 1, category_id: 'standing', ttl: 1 }), 'hold'],
    ['POST', '/holds (seats of a block)', () => '/holds', () => ({ event_id: ref.eventId, block_id: ref.seatBlockId, seats: ['A2'], ttl: 1 }), 'hold'],
    ['PUT', 'quota', () => `/events/${ref.eventId}/quotas/hall`, () => ({ capacity: 260, categories: ['stalls', 'standing'] }), 'quota'],
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
          const response = await app.api.request(method, path(), body, { headers: admin() });
          expectNo5xx(`${method} ${path()} ${JSON.stringify(body)?.slice(0, 200)}`, response);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('odd path segments: category, quota and block ids, events', async () => {
    const requests = fc.tuple(
      fc.constantFrom(
        (s: string) => ['PATCH', `/events/${ref.eventId}/categories/${s}`, { name: 'x' }] as const,
        (s: string) => ['PUT', `/events/${ref.eventId}/quotas/${s}`, { capacity: 5, categories: ['standing'] }] as const,
        (s: string) => ['DELETE', `/events/${ref.eventId}/quotas/${s}`, undefined] as const,
        (s: string) => ['GET', `/blocks/${s}`, undefined] as const,
        (s: string) => ['GET', `/blocks/${ref.eventId}.${s}`, undefined] as const,
        (s: string) => ['POST', `/blocks/${s}/release`, undefined] as const,
        (s: string) => ['GET', `/events/${s}/blocks`, undefined] as const,
        (s: string) => ['PATCH', `/events/${s}`, { sales: 'open' }] as const,
        (s: string) => ['POST', '/holds', { event_id: ref.eventId, block_id: s, qty: 1 }] as const,
      ),
      oddSegment,
    );
    await fc.assert(
      fc.asyncProperty(requests, async ([make, segment]) => {
        const [method, path, body] = make(segment);
        const response = await app.api.request(method, path, body, { headers: admin() });
        expectNo5xx(`${method} ${path}`, response);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('GET /events with random query strings', async () => {
    const query = fc.dictionary(fc.constantFrom('after', 'limit', 'x', 'limit[]', 'after[]'), fc.oneof(oddStrings, fc.string({ maxLength: 12 }), hugeNumbers.map(String)), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const search = new URLSearchParams(params as Record<string, string>).toString();
        expectNo5xx(`GET /events?${search}`, await app.api.get(`/events?${search}`, { headers: admin() }));
      }),
      { numRuns: RUNS },
    );
  });

  it('after all of it, the reference event keeps its invariants', async () => {
    await assertInvariants(app.api, ref.eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
  });
});
