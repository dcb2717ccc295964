import { expect } from 'chai';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { parseChildId } from '../../src/domain/ids.js';
import { KeySpace } from '../../src/redis/keys.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Model-based: generated sequences of hold / book / release / expire (and a booking with
// the wrong token) run against the real service and against a few lines of in-memory
// model. After every step, GET /events must report the model's counts, every hold the
// model's state, and the invariants must hold.
//
// Expiry is deterministic: the expire command takes holds with ttl 1 s and waits until
// the worker has flipped each stored status to "expired". Regular holds last 600 s, far
// longer than any run, so they never expire behind the model's back.

const RUNS = 25;
const MAX_COMMANDS = 15;
const MAX_QTY_PER_HOLD = 10;
const LONG_TTL_S = 600;
/** Expiry waits cost ~1 s each; at most this many expire commands per run. */
const EXPIRES_PER_RUN = 1;

type HoldState = 'active' | 'booked' | 'released' | 'expired';

interface ModelHold {
  holdId: string;
  token: string;
  qty: number;
  state: HoldState;
  bookingId?: string;
}

interface Model {
  total: number;
  available: number;
  held: number;
  booked: number;
  holds: ModelHold[];
  expireRuns: number;
}

interface Real {
  app: TestService;
  redis: Redis;
  redisUrl: string;
  eventId: string;
  /** holds the last step touched: their GET /holds state is checked against the model */
  touched: ModelHold[];
}

type Cmd = fc.AsyncCommand<Model, Real>;

const pick = (m: Readonly<Model>, index: number) => m.holds[index % m.holds.length]!;

/** What POST /holds must answer, by the model, and what it does to the counts. */
async function holdAndCheck(m: Model, r: Real, qty: number, partial: boolean, ttl: number): Promise<ModelHold | null> {
  const response = await r.app.api.hold(r.eventId, qty, { ttl, partial });
  const what = `hold qty ${qty} partial ${partial} with ${m.available} available: ${JSON.stringify(response.body)}`;
  if (qty > MAX_QTY_PER_HOLD) {
    expect(response.status, what).to.equal(422);
    return null;
  }
  const granted = m.available >= qty ? qty : partial && m.available > 0 ? m.available : 0;
  if (granted === 0) {
    expect(response.status, what).to.equal(409);
    expect(response.body.available, what).to.equal(m.available);
    return null;
  }
  expect(response.status, what).to.equal(201);
  expect(response.body).to.include({ qty: granted, requested_qty: qty, status: 'active', event_id: r.eventId });
  m.available -= granted;
  m.held += granted;
  const hold: ModelHold = { holdId: response.body.hold_id, token: response.body.payment_token, qty: granted, state: 'active' };
  m.holds.push(hold);
  r.touched.push(hold);
  return hold;
}

class HoldCommand implements Cmd {
  constructor(readonly qty: number, readonly partial: boolean) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await holdAndCheck(m, r, this.qty, this.partial, LONG_TTL_S);
  }
  toString = () => `hold(${this.qty}${this.partial ? ', partial' : ''})`;
}

class BookCommand implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const hold = pick(m, this.index);
    r.touched.push(hold);
    const response = await r.app.api.post('/book', { hold_id: hold.holdId, payment_token: hold.token });
    const what = `book a hold that is ${hold.state}: ${JSON.stringify(response.body)}`;
    switch (hold.state) {
      case 'active':
        expect(response.status, what).to.equal(201);
        expect(response.body).to.include({ hold_id: hold.holdId, qty: hold.qty, event_id: r.eventId });
        hold.state = 'booked';
        hold.bookingId = response.body.booking_id;
        m.held -= hold.qty;
        m.booked += hold.qty;
        break;
      case 'booked':
        expect(response.status, what).to.equal(200);
        expect(response.body.booking_id, 'the same booking on every retry').to.equal(hold.bookingId);
        break;
      case 'released':
      case 'expired':
        expect(response.status, what).to.equal(410);
        expect(response.body.hold_status).to.equal(hold.state);
        break;
    }
  }
  toString = () => `book(#${this.index})`;
}

class BookWithWrongTokenCommand implements Cmd {
  constructor(readonly index: number, readonly token: string) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const hold = pick(m, this.index);
    r.touched.push(hold);
    const response = await r.app.api.post('/book', { hold_id: hold.holdId, payment_token: this.token });
    expect(response.status, JSON.stringify(response.body)).to.equal(403);
  }
  toString = () => `bookWithWrongToken(#${this.index})`;
}

class ReleaseCommand implements Cmd {
  constructor(readonly index: number, readonly viaHeader: boolean) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const hold = pick(m, this.index);
    r.touched.push(hold);
    const response = this.viaHeader
      ? await r.app.api.delete(`/holds/${hold.holdId}`, undefined, { headers: { 'Payment-Token': hold.token } })
      : await r.app.api.delete(`/holds/${hold.holdId}`, { payment_token: hold.token });
    const what = `release a hold that is ${hold.state}: ${JSON.stringify(response.body)}`;
    switch (hold.state) {
      case 'active':
        expect(response.status, what).to.equal(200);
        expect(response.body.status).to.equal('released');
        hold.state = 'released';
        m.held -= hold.qty;
        m.available += hold.qty;
        break;
      case 'released':
        expect(response.status, what).to.equal(200);
        expect(response.body.status).to.equal('released');
        break;
      case 'booked':
        expect(response.status, what).to.equal(409);
        break;
      case 'expired':
        expect(response.status, what).to.equal(410);
        break;
    }
  }
  toString = () => `release(#${this.index}${this.viaHeader ? ', header' : ''})`;
}

class ExpireCommand implements Cmd {
  constructor(readonly quantities: number[]) {}
  check = (m: Readonly<Model>) => m.expireRuns < EXPIRES_PER_RUN;
  async run(m: Model, r: Real) {
    m.expireRuns++;
    const short: ModelHold[] = [];
    for (const qty of this.quantities) {
      const hold = await holdAndCheck(m, r, qty, false, 1);
      if (hold) short.push(hold);
    }
    const keys = new KeySpace(r.app.prefix);
    for (const hold of short) {
      const id = parseChildId(hold.holdId)!;
      const key = keys.holdKey(id.eventId, id.localId);
      await eventually(
        async () => {
          const status = await r.redis.hget(key, 'status');
          if (status !== 'expired') throw new Error(`hold ${hold.holdId} is still ${status}`);
          return true;
        },
        { timeoutMs: 10_000, intervalMs: 25 },
      );
      hold.state = 'expired';
      m.held -= hold.qty;
      m.available += hold.qty;
    }
  }
  toString = () => `expire(${this.quantities.join(', ')})`;
}

const commandArbitraries: fc.Arbitrary<Cmd>[] = [
  fc.tuple(fc.integer({ min: 1, max: MAX_QTY_PER_HOLD + 2 }), fc.boolean()).map(([qty, partial]) => new HoldCommand(qty, partial)),
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.boolean()).map(([qty, partial]) => new HoldCommand(qty, partial)),
  fc.nat().map((index) => new BookCommand(index)),
  fc.tuple(fc.nat(), fc.uuid()).map(([index, token]) => new BookWithWrongTokenCommand(index, token)),
  fc.tuple(fc.nat(), fc.boolean()).map(([index, viaHeader]) => new ReleaseCommand(index, viaHeader)),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }).map((quantities) => new ExpireCommand(quantities)),
];

describe('model-based: hold / book / release / expire sequences against an in-memory model', function () {
  this.timeout(150_000);

  let app: TestService;
  let redis: Redis;
  let redisUrl: string;
  let steps = 0;
  let runs = 0;
  let expired = 0;

  before(async () => {
    redisUrl = (await sharedRedis()).url;
    redis = new Redis(redisUrl);
    app = await startTestService({ MAX_QTY_PER_HOLD: String(MAX_QTY_PER_HOLD) });
  });
  after(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  /** After every step: the service's counts are the model's, each touched hold reads as modelled. */
  async function compare(m: Model, r: Real) {
    const event = await r.app.api.get(`/events/${r.eventId}`);
    expect(event.status).to.equal(200);
    const { total, available, held, booked } = event.body;
    expect({ total, available, held, booked }, 'GET /events counts == model').to.deep.equal({
      total: m.total,
      available: m.available,
      held: m.held,
      booked: m.booked,
    });
    for (const hold of r.touched.splice(0)) {
      const read = await r.app.api.get(`/holds/${hold.holdId}`);
      expect(read.body.status, `GET /holds/${hold.holdId}`).to.equal(hold.state);
      if (hold.bookingId) expect(read.body.booking_id).to.equal(hold.bookingId);
    }
    await assertInvariants(r.app.api, r.eventId, { redis: r.redisUrl, prefix: r.app.prefix });
    steps++;
  }

  it(`${RUNS} runs of up to ${MAX_COMMANDS} commands: counts, hold states and invariants match after every step`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 3, max: 16 }), fc.commands(commandArbitraries, { maxCommands: MAX_COMMANDS, size: 'max' }), async (total, commands) => {
        runs++;
        const eventId = await app.api.createEvent(total);
        const model: Model = { total, available: total, held: 0, booked: 0, holds: [], expireRuns: 0 };
        const real: Real = { app, redis, redisUrl, eventId, touched: [] };
        // Every command is followed by the comparison.
        const checked = [...commands].map((command): Cmd => ({
          check: (m) => command.check(m),
          run: async (m, r) => {
            const expiredBefore = m.holds.filter((hold) => hold.state === 'expired').length;
            await command.run(m, r);
            expired += m.holds.filter((hold) => hold.state === 'expired').length - expiredBefore;
            await compare(m, r);
          },
          toString: () => command.toString(),
        }));
        await fc.asyncModelRun(async () => ({ model, real }), checked);
      }),
      // Shrinking re-runs expiry waits; bound the whole search so a failure still reports in time.
      { numRuns: RUNS, interruptAfterTimeLimit: 120_000 },
    );
    console.log(`      model: ${runs} runs, ${steps} steps checked against the model, ${expired} holds expired by ttl`);
    expect(runs).to.be.at.least(RUNS);
  });
});
