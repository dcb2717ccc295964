import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.js';
import { digestToken } from '../../src/domain/ids.js';
import type { DomainOperations } from '../../src/http/deps.js';
import { KeySpace } from '../../src/redis/keys.js';
import { LUA_DIR } from '../../src/redis/function-library.js';
import { ScriptCode, Scripts } from '../../src/redis/scripts.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { LuaEvent, storeAsVersion2 } from '../helpers/lua-core.js';

// The seat-moving scripts through the domain on a real Redis, and straight: what they refuse
// (bad arguments, holds no longer counted as active), the layout version 1 left behind, and
// the keys Lua builds.

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('seat-moving scripts', function () {
  let app: TestService;
  let bo: DomainOperations;
  let redis: Redis;
  let scripts: Scripts;
  let keys: KeySpace;

  before(async () => {
    app = await startTestService({ RECONCILE_INTERVAL_MS: '0', EXPIRY_WORKER: 'off' });
    bo = app.service;
    redis = new Redis((await sharedRedis()).url);
    scripts = new Scripts(redis);
    keys = new KeySpace(app.prefix);
  });
  after(async () => {
    redis.disconnect();
    await app.stop();
  });

  const serverNowMs = async () => {
    const [s, us] = await redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  const untilServerTime = async (ms: number) => {
    while ((await serverNowMs()) <= ms) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const counts = async (eventId: string) => {
    const [available, held, booked] = await redis.hmget(keys.eventKey(eventId), 'available', 'held', 'booked');
    return { available: Number(available), held: Number(held), booked: Number(booked) };
  };
  const generalEvent = async (total: number) => (await bo.events.create({ name: 'Show', totalSeats: total })).event.eventId;
  const qty = (n: number, extra: { categoryId?: string; partial?: boolean; adjacent?: boolean } = {}) => ({
    kind: 'qty' as const,
    qty: n,
    partial: extra.partial ?? false,
    adjacent: extra.adjacent ?? true,
    ...(extra.categoryId ? { categoryId: extra.categoryId } : {}),
  });

  describe('a hold no longer counted as active (Redis clock stepped back after a reclaim)', () => {
    async function reclaimedThenClockBack() {
      const eventId = await generalEvent(5);
      const { hold, paymentToken } = await bo.holds.create({ eventId, ttlS: 1, request: qty(3) });
      await untilServerTime(hold.expiresAt.getTime());
      expect((await bo.events.get(eventId)).available, 'the read reclaimed the seats').to.equal(5);
      // The clock now reads earlier than expires_at: as if expires_at were still ahead.
      const local = hold.holdId.split('.')[1]!;
      await redis.hset(keys.holdKey(eventId, local), 'expires_at', (await serverNowMs()) + 60_000);
      return { eventId, hold, paymentToken };
    }

    it('book refuses it as expired and writes nothing; its seats are sold once', async () => {
      const { eventId, hold, paymentToken } = await reclaimedThenClockBack();
      const error = await refusal(bo.bookings.book(hold.holdId, paymentToken));
      expect(error.code).to.equal('hold-gone');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
      await bo.holds.create({ eventId, ttlS: 60, request: qty(5) });
      expect(await counts(eventId)).to.deep.equal({ available: 0, held: 5, booked: 0 });
    });

    it('release and extend refuse it as expired too, moving no seat', async () => {
      const { eventId, hold, paymentToken } = await reclaimedThenClockBack();
      expect((await refusal(bo.holds.extend(hold.holdId, paymentToken, 60))).code).to.equal('hold-gone');
      expect((await refusal(bo.holds.release(hold.holdId, paymentToken))).code).to.equal('hold-gone');
      expect(await counts(eventId)).to.deep.equal({ available: 5, held: 0, booked: 0 });
      expect((await bo.holds.get(hold.holdId)).status).to.equal('expired');
    });
  });

  describe('arguments are checked before the first write', () => {
    async function refusedWithoutWrites(eventId: string, run: () => Promise<unknown>) {
      const before = await redis.hgetall(keys.eventKey(eventId));
      const logBefore = await redis.xlen(keys.eventKeys(eventId).log);
      let failed = false;
      try {
        await run();
      } catch (error) {
        failed = true;
        expect(String(error)).to.match(/bad argument|bad seat count/);
      }
      expect(failed, 'the script refused').to.equal(true);
      expect(await redis.hgetall(keys.eventKey(eventId))).to.deep.equal(before);
      expect(await redis.xlen(keys.eventKeys(eventId).log)).to.equal(logBefore);
    }
    const holdArgs = (eventId: string, spec: string, mode = 'qty', batch: number | string = 10) => [
      eventId, randomUUID(), digestToken('t'), 60_000, 60_000, batch, 10, '0', mode, spec, '', '',
    ];

    for (const [what, spec] of [['a qty of 0', '|0|0|1'], ['a negative qty', '|-1|0|1'], ['a fractional qty', '|1.5|0|1']]) {
      it(`hold: ${what}`, async () => {
        const eventId = await generalEvent(5);
        await refusedWithoutWrites(eventId, () => scripts.run('hold', keys.eventKey(eventId), holdArgs(eventId, spec!)));
      });
    }

    it('hold: an items line of 0, a negative batch, a ttl of 0', async () => {
      const eventId = await generalEvent(5);
      await refusedWithoutWrites(eventId, () => scripts.run('hold', keys.eventKey(eventId), holdArgs(eventId, 'general=0', 'items')));
      await refusedWithoutWrites(eventId, () => scripts.run('hold', keys.eventKey(eventId), holdArgs(eventId, '|1|0|1', 'qty', -1)));
      const zeroTtl = holdArgs(eventId, '|1|0|1');
      zeroTtl[3] = 0;
      await refusedWithoutWrites(eventId, () => scripts.run('hold', keys.eventKey(eventId), zeroTtl));
    });

    it('reads and sweeps: a batch of 0 (which would loop) is refused', async () => {
      const eventId = await generalEvent(5);
      await refusedWithoutWrites(eventId, () => scripts.run('snapshot', keys.eventKey(eventId), [eventId, 0, 1000]));
      await refusedWithoutWrites(eventId, () => scripts.run('sweepExpired', keys.eventKey(eventId), [eventId, 0, 1000]));
      await refusedWithoutWrites(eventId, () => scripts.run('seatMap', keys.eventKey(eventId), [eventId, 0, 1000, '']));
    });

    it('createEvent: a capacity of 0 or a bad row creates nothing', async () => {
      for (const spec of [[{ id: 'a', capacity: 0 }], [{ id: 'a', rows: [['A1', 3]] }], [{ id: 'a', rows: [['A', 0]] }]]) {
        const eventId = randomUUID();
        let failed = false;
        await scripts.raw('createEvent', keys.eventKey(eventId), [eventId, 'x', '', JSON.stringify(spec)]).catch(() => {
          failed = true;
        });
        expect(failed, JSON.stringify(spec)).to.equal(true);
        expect(await redis.exists(keys.eventKey(eventId), keys.eventKeys(eventId).rows)).to.equal(0);
      }
    });

    it('releaseBlock: a category or seat named twice is refused before the reclaim it runs first writes', async () => {
      const { event } = await bo.events.create({
        name: 'House', categories: [{ categoryId: 'ga', capacity: 5 }, { categoryId: 'hall', rows: [{ row: 'A', seats: 3 }] }],
      });
      const eventId = event.eventId;
      const { block } = await bo.blocks.create({
        eventId, request: { kind: 'items', items: [{ categoryId: 'ga', qty: 3 }, { categoryId: 'hall', qty: 2 }] },
      });
      const { hold } = await bo.holds.create({ eventId, ttlS: 1, request: qty(1, { categoryId: 'ga' }) });
      await untilServerTime(hold.expiresAt.getTime()); // a past-due hold the release would give back
      const local = block.blockId.split('.')[1]!;
      const release = (mode: string, spec: string) => () =>
        scripts.run('releaseBlock', keys.eventKey(eventId), [eventId, local, mode, spec, 1000, 10, '0']);
      await refusedWithoutWrites(eventId, release('items', 'ga=1;ga=1'));
      await refusedWithoutWrites(eventId, release('seats', `${block.seats![0]},${block.seats![0]}`));
      await refusedWithoutWrites(eventId, release('items', 'ga=0'));
    });

    it('hold and createBlock on an event stored by version 2: a seat named twice is refused before its rows are indexed', async () => {
      const { event } = await bo.events.create({
        name: 'Old hall', categories: [{ categoryId: 'hall', rows: [{ row: 'A', seats: 4 }, { row: 'B', seats: 4 }] }],
      });
      const eventId = event.eventId;
      const ev = new LuaEvent(redis, app.prefix, eventId);
      await storeAsVersion2(ev);
      const rowsBefore = await redis.hgetall(ev.k.rows);
      await refusedWithoutWrites(eventId, () => scripts.run('hold', keys.eventKey(eventId), holdArgs(eventId, 'A1,B2,A1', 'seats')));
      await refusedWithoutWrites(eventId, () =>
        scripts.run('createBlock', keys.eventKey(eventId), [eventId, randomUUID(), 'seats', 'A1,B2,A1', '', 10, '0', 1000]),
      );
      expect(await redis.hgetall(ev.k.rows), 'rows not indexed').to.deep.equal(rowsBefore);
      expect(await redis.exists(ev.k.rowGroups)).to.equal(0);
    });

    it('extend: a ttl of 0 is refused', async () => {
      const eventId = await generalEvent(5);
      const { hold } = await bo.holds.create({ eventId, ttlS: 60, request: qty(1) });
      const local = hold.holdId.split('.')[1]!;
      await refusedWithoutWrites(eventId, () =>
        scripts.run('extendHold', keys.eventKey(eventId), [eventId, local, digestToken('t'), 0, 3, 1_800_000, 1000]),
      );
    });
  });

  it('a movement of several lines is checked whole before any write: a refused book leaves no marker, no count moved', async () => {
    const { event } = await bo.events.create({
      name: 'Mixed',
      categories: [{ categoryId: 'ga', capacity: 5 }, { categoryId: 'hall', rows: [{ row: 'A', seats: 3 }] }],
    });
    const eventId = event.eventId;
    const { hold, paymentToken } = await bo.holds.create({
      eventId,
      ttlS: 60,
      request: { kind: 'items', items: [{ categoryId: 'ga', qty: 1 }, { categoryId: 'hall', qty: 1 }] },
    });
    // Break the second line's seat (it no longer reads held): the book script must refuse it
    // before it moves the first line or sets the booking marker.
    const seat = hold.seats![0]!;
    await redis.hset(keys.eventKeys(eventId).seats, 'A', 'AAA');
    const before = await redis.hgetall(keys.eventKey(eventId));
    const logBefore = await redis.xlen(keys.eventKeys(eventId).log);
    let failed = false;
    await bo.bookings.book(hold.holdId, paymentToken).catch((error) => {
      failed = true;
      expect(String(error)).to.include(`seat ${seat} is not held`);
    });
    expect(failed).to.equal(true);
    expect(await redis.hgetall(keys.eventKey(eventId))).to.deep.equal(before);
    expect(await redis.xlen(keys.eventKeys(eventId).log)).to.equal(logBefore);
    expect(await redis.exists(keys.bookedMarker(eventId, hold.holdId.split('.')[1]!))).to.equal(0);
  });

  describe('an event stored by version 1', () => {
    /** The layout version 1 wrote: one pool in the event hash, bare counts for active holds. */
    async function writeVersion1Event(total: number, holds: { qty: number; ttlMs: number }[]) {
      const eventId = randomUUID();
      const k = keys.eventKeys(eventId);
      const now = await serverNowMs();
      const held = holds.reduce((sum, hold) => sum + hold.qty, 0);
      await redis.hset(k.event, {
        name: 'Old show', total, available: total - held, held, booked: 0, max_per_hold: '', created_at: now,
      });
      await redis.sadd(keys.eventIndex(), eventId);
      const made = [];
      for (const hold of holds) {
        const local = randomUUID();
        const token = randomUUID();
        const expiresAt = now + hold.ttlMs;
        await redis.hset(keys.holdKey(eventId, local), {
          qty: hold.qty, requested_qty: hold.qty, status: 'active', expires_at: expiresAt, created_at: now, token: digestToken(token),
        });
        await redis.zadd(k.expiries, expiresAt, local);
        await redis.hset(k.active, local, hold.qty);
        made.push({ holdId: `${eventId}.${local}`, token, expiresAt });
      }
      return { eventId, holds: made };
    }

    it('reads as one general category; its holds book and expire, new holds take seats', async () => {
      const { eventId, holds } = await writeVersion1Event(10, [{ qty: 2, ttlMs: 60_000 }, { qty: 3, ttlMs: 800 }]);
      const event = await bo.events.get(eventId);
      expect(event.categories.map((c) => [c.categoryId, c.kind, c.total, c.available, c.held, c.booked])).to.deep.equal([
        ['general', 'general', 10, 5, 5, 0],
      ]);
      const booked = await bo.bookings.book(holds[0]!.holdId, holds[0]!.token);
      expect(booked.booking.items).to.deep.equal([{ categoryId: 'general', qty: 2 }]);
      await untilServerTime(holds[1]!.expiresAt);
      expect(await app.service.expirer.expire(holds[1]!.holdId)).to.deep.equal({ kind: 'expired' });
      const fresh = await bo.holds.create({ eventId, ttlS: 60, request: qty(4) });
      expect(fresh.hold.items).to.deep.equal([{ categoryId: 'general', qty: 4 }]);
      const after = await bo.events.get(eventId);
      expect([after.available, after.held, after.booked, after.total]).to.deep.equal([4, 4, 2, 10]);
      expect((await bo.holds.get(holds[1]!.holdId)).status).to.equal('expired');
      const cancelled = await bo.bookings.cancel(booked.booking.bookingId, { paymentToken: holds[0]!.token });
      expect(cancelled.status).to.equal('cancelled');
      expect((await bo.events.get(eventId)).available).to.equal(6);
    });
  });

  describe('best available (seated qty holds)', () => {
    async function seatedEvent(rows: [string, number][]) {
      return (await bo.events.create({ name: 'Hall', categories: [{ categoryId: 'hall', rows: rows.map(([row, seats]) => ({ row, seats })) }] }))
        .event.eventId;
    }
    const seatsOf = async (eventId: string, request: ReturnType<typeof qty> | { kind: 'seats'; seats: string[] }) =>
      (await bo.holds.create({ eventId, ttlS: 60, request })).hold.seats;

    it('takes the adjacent run whose middle is closest to the row middle, ties to the lower numbers', async () => {
      const eventId = await seatedEvent([['A', 10]]);
      expect(await seatsOf(eventId, qty(3))).to.deep.equal(['A4', 'A5', 'A6']);
      // free: A1-A3 and A7-A10; A7-A8 (middle 7.5) is closer to 5.5 than A2-A3 (2.5)
      expect(await seatsOf(eventId, qty(2))).to.deep.equal(['A7', 'A8']);
      expect(await seatsOf(eventId, qty(2))).to.deep.equal(['A2', 'A3']);
      expect(await seatsOf(eventId, qty(1))).to.deep.equal(['A9']);
    });

    it('moves to the next row only when the best row has no run; no run anywhere is 409 even with seats left', async () => {
      const eventId = await seatedEvent([['A', 5], ['B', 5]]);
      await seatsOf(eventId, { kind: 'seats', seats: ['A2', 'A4'] });
      expect(await seatsOf(eventId, qty(2))).to.deep.equal(['B2', 'B3']);
      await seatsOf(eventId, { kind: 'seats', seats: ['B5'] });
      // free now: A1 A3 A5 B1 B4 — five seats, no two side by side
      const error = await refusal(bo.holds.create({ eventId, ttlS: 60, request: qty(2) }));
      expect(error.code).to.equal('no-adjacent-seats');
      expect(await seatsOf(eventId, qty(2, { adjacent: false }))).to.deep.equal(['A1', 'A3']);
      expect(await seatsOf(eventId, qty(2, { partial: true }))).to.deep.equal(['A5', 'B4']);
      expect(await seatsOf(eventId, qty(3, { partial: true, adjacent: false }))).to.deep.equal(['B1']);
      expect((await refusal(bo.holds.create({ eventId, ttlS: 60, request: qty(1) }))).code).to.equal('not-enough-seats');
    });

    it('scattered picking takes the seats closest to the middle first (ties: lower number)', async () => {
      const eventId = await seatedEvent([['A', 7]]);
      expect(await seatsOf(eventId, qty(3, { adjacent: false }))).to.deep.equal(['A3', 'A4', 'A5']);
      expect(await seatsOf(eventId, qty(1, { adjacent: false }))).to.deep.equal(['A2']);
      expect(await seatsOf(eventId, qty(1, { adjacent: false }))).to.deep.equal(['A6']);
    });
  });

  it('a retry of the same hold attempt (same id and token) takes no more seats', async () => {
    const eventId = await generalEvent(10);
    const attempt = { id: `${eventId}.${randomUUID()}`, token: randomUUID() };
    const first = await bo.holds.create({ eventId, ttlS: 60, request: qty(4) }, attempt);
    const again = await bo.holds.create({ eventId, ttlS: 60, request: qty(4) }, attempt);
    expect(first.replayed).to.equal(false);
    expect(again.replayed).to.equal(true);
    expect(again.hold.holdId).to.equal(first.hold.holdId);
    expect(again.hold.expiresAt.getTime()).to.equal(first.hold.expiresAt.getTime());
    expect(await counts(eventId)).to.deep.equal({ available: 6, held: 4, booked: 0 });
  });

  it('a retry of the same waiting-list join (same local id and token) makes one entry', async () => {
    const eventId = await generalEvent(2);
    await bo.holds.create({ eventId, ttlS: 60, request: qty(2) });
    const attempt = { id: randomUUID(), token: randomUUID() };
    const first = await bo.waitingList.join({ eventId, qty: 1, ttlS: 60 }, attempt);
    const again = await bo.waitingList.join({ eventId, qty: 1, ttlS: 60 }, attempt);
    expect([first.replayed, again.replayed]).to.deep.equal([false, true]);
    expect(again.entry.entryId).to.equal(`${eventId}.${attempt.id}`);
    expect(again.entryToken).to.equal(attempt.token);
    expect((await bo.events.get(eventId)).categories[0]!.waiting).to.equal(1);
  });

  it('lua/includes/keys.lua builds the same keys as src/redis/keys.ts', () => {
    const source = readFileSync(join(LUA_DIR, 'includes', 'keys.lua'), 'utf8');
    const eventId = randomUUID();
    const base = `${app.prefix}:{${eventId}}`;
    const table = (name: string) => new RegExp(`local ${name} = \\{([^}]*)\\}`).exec(source)?.[1] ?? '';
    const entries = (name: string) =>
      Object.fromEntries([...table(name).matchAll(/(\w+) = '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
    const fromLua: Record<string, string> = {};
    for (const [name, suffix] of Object.entries(entries('EVENT_KEY_SUFFIXES'))) fromLua[name] = base + suffix;
    const { event, ...rest } = keys.eventKeys(eventId);
    expect(event).to.equal(`${base}:event`);
    expect(fromLua).to.deep.equal(rest);
    const records: [string, string][] = [
      ['hold', keys.holdKey(eventId, 'x')],
      ['bookedMarker', keys.bookedMarker(eventId, 'x')],
      ['booking', keys.bookingKey(eventId, 'x')],
      ['entry', keys.entryKey(eventId, 'x')],
      ['block', keys.blockKey(eventId, 'x')],
      ['ticket', keys.ticketKey(eventId, 'x')],
    ];
    const recordKinds = entries('EVENT_RECORD_KINDS');
    expect(Object.keys(recordKinds).sort()).to.deep.equal(records.map(([name]) => name).sort());
    for (const [name, key] of records) expect(`${base}${recordKinds[name]}x`, name).to.equal(key);
    expect(ScriptCode.Ok).to.equal(1);
  });
});
